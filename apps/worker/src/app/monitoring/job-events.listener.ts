import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { QueueRegistry } from '@mq/queue';
import { JobEventTally, TalliedEvent } from './job-event.tally';

/** Bound on waiting for Bull's event subscriptions at start-up (Redis may be down). */
const SUBSCRIBE_WAIT_MS = 5_000;

const GLOBAL_EVENTS: readonly [string, TalliedEvent][] = [
  ['global:completed', 'completed'],
  ['global:failed', 'failed'],
  ['global:stalled', 'stalled'],
];

/** Resolves once Bull has subscribed to a global event's channel. */
function subscribed(queue: Queue, event: string): Promise<void> {
  return new Promise((resolve) => queue.once(`registered:${event}`, () => resolve()));
}

/**
 * Counts jobs finishing on every queue, whichever worker ran them, from Bull's global events
 * (published through Redis, heard once by each worker), in the tally the elected sampler
 * writes out. The outcomes of this worker's own jobs go through JobOutcomeSubscriber.
 */
@Injectable()
export class JobEventsListener implements OnApplicationBootstrap {
  private readonly logger = new Logger(JobEventsListener.name);

  constructor(
    private readonly queues: QueueRegistry,
    private readonly tally: JobEventTally,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const subscriptions: Promise<void>[] = [];
    for (const [name, queue] of this.queues.entries()) {
      for (const [event, counted] of GLOBAL_EVENTS) {
        subscriptions.push(subscribed(queue, event));
        queue.on(event, () => this.tally.record(name, counted, Date.now()));
      }
    }
    // Jobs finishing right after start-up must be counted: wait (bounded) for the subscriptions.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SUBSCRIBE_WAIT_MS)));
    const late = await Promise.race([Promise.all(subscriptions).then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.logger.warn('Bull event subscriptions not confirmed yet; job counts start when they are');
  }
}
