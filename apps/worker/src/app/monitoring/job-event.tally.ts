export type TalliedEvent = 'completed' | 'failed' | 'stalled';

export type EventCounts = Record<TalliedEvent, number>;

export const NO_EVENTS: Readonly<EventCounts> = Object.freeze({ completed: 0, failed: 0, stalled: 0 });

/**
 * Bull's global job events of every queue, counted per queue and per whole second of
 * arrival. Sparse (only seconds with events are kept) and pruned to `retentionMs`, so
 * memory stays small. Pure: the caller passes the time, which keeps it testable.
 */
export class JobEventTally {
  private readonly seconds = new Map<string, Map<number, EventCounts>>();

  constructor(
    private readonly retentionMs: number,
    /** Nothing before this was heard (the process started listening then). */
    readonly since: number,
  ) {}

  record(queue: string, event: TalliedEvent, atMs: number): void {
    let perSecond = this.seconds.get(queue);
    if (!perSecond) {
      perSecond = new Map();
      this.seconds.set(queue, perSecond);
    }
    const second = Math.floor(atMs / 1000);
    const counts = perSecond.get(second) ?? { ...NO_EVENTS };
    counts[event] += 1;
    perSecond.set(second, counts);
  }

  /**
   * Events of a queue that arrived in [fromMs, toMs), in whole seconds: the second holding
   * `fromMs` counts, the one holding `toMs` does not. Consecutive ranges therefore never
   * count an event twice or miss one.
   */
  count(queue: string, fromMs: number, toMs: number): EventCounts {
    const from = Math.floor(fromMs / 1000);
    const to = Math.floor(toMs / 1000);
    const total = { ...NO_EVENTS };
    for (const [second, counts] of this.seconds.get(queue) ?? []) {
      if (second < from || second >= to) continue;
      total.completed += counts.completed;
      total.failed += counts.failed;
      total.stalled += counts.stalled;
    }
    return total;
  }

  /** Forgets seconds older than the retention. */
  prune(nowMs: number): void {
    const oldest = Math.floor((nowMs - this.retentionMs) / 1000);
    for (const perSecond of this.seconds.values()) {
      for (const second of perSecond.keys()) if (second < oldest) perSecond.delete(second);
    }
  }
}
