export interface MicroBatcherOptions<I, O> {
  /**
   * Does the work for a batch of items, in one round trip where it can. Answers one outcome
   * per item, in order: a value, or an Error for that item alone. A throw fails every item.
   */
  run(items: readonly I[]): Promise<readonly (O | Error)[]>;
  /** Most items in one run. */
  maxBatch: number;
  /** Runs in flight at once; further items wait and go together in the next run. */
  maxConcurrent: number;
  /**
   * While busy (a run started within the last BUSY_WINDOW_MS), wait this long for more items
   * before the next run. Under steady load a run costs the same for one item as for twenty,
   * so a few milliseconds here buy most of a machine's CPU back; an idle batcher never waits.
   */
  lingerMs?: number;
}

/** A run this recent means more items are likely on their way. */
const BUSY_WINDOW_MS = 50;

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: callers submit one item each and await its own outcome; items that arrive
 * while the runs in flight are busy go out together in the next run. An idle batcher runs at
 * once (the next turn of the event loop, so items of the same tick share the run), so a lone
 * item pays no wait, and under load one round trip serves a whole batch of them (and with
 * `lingerMs`, a busy batcher waits a little for a fuller one).
 */
export class MicroBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private running = 0;
  private scheduled = false;
  private lastRunAt = Number.NEGATIVE_INFINITY;
  private lingering?: NodeJS.Timeout;

  constructor(private readonly options: MicroBatcherOptions<I, O>) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items submitted and not yet answered. */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    const { lingerMs = 0, maxBatch, maxConcurrent } = this.options;
    // A full batch does not wait out the linger.
    if (this.lingering && this.queue.length >= maxBatch) {
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.scheduled = false;
    }
    if (this.scheduled || this.running >= maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      this.lingering = undefined;
      this.startRun();
    };
    const busy = performance.now() - this.lastRunAt < BUSY_WINDOW_MS;
    if (lingerMs > 0 && busy && this.queue.length < maxBatch) this.lingering = setTimeout(fire, lingerMs);
    else setImmediate(fire);
  }

  private startRun(): void {
    if (this.running >= this.options.maxConcurrent || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running += 1;
    this.lastRunAt = performance.now();
    void this.execute(batch).finally(() => {
      this.running -= 1;
      this.schedule();
    });
    // More waiting than one run takes, and a slot free: start the next run too.
    this.schedule();
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outcomes = await this.options.run(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof Error) waiting.reject(outcome);
        else if (i >= outcomes.length) waiting.reject(new Error(`batch run answered ${outcomes.length} outcomes for ${batch.length} items`));
        else waiting.resolve(outcome as O);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
