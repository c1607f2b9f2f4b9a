import { Inject, Injectable, Logger } from '@nestjs/common';
import { QueueRegistry, queueWitnessKey } from '@mq/queue';
import type { QueueName } from '@mq/queue-contracts';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

/** Witness values remembered per queue: at one relay pass a second, a few minutes back. */
const HISTORY = 256;
/** Added to the window: the publish that wrote a job may have started a little before the witness it preceded. */
const MARGIN_MS = 10_000;
/** With no surviving witness of this worker's to date the loss from, everything unfinished this recent is published again. */
const FALLBACK_WINDOW_MS = 24 * 3600_000;

interface Witness {
  value: number;
  at: number;
}

/**
 * Notices that the master holding a queue lost writes it had acknowledged: Redis replicates
 * asynchronously, so a replica promoted after its master died can lack the master's last
 * writes, jobs included. Each relay pass increments a counter on each queue's slot (same
 * master, same replication stream as the queue's jobs). The counter going back means writes
 * were lost; the last value of this worker's that survived dates the loss (the stream is
 * applied in order, so everything written before it survived). The relay then publishes again
 * every unfinished outbox job published since, under the same job ids: jobs still in Redis are
 * not added twice.
 */
@Injectable()
export class ReplicationLossDetector {
  private readonly logger = new Logger(ReplicationLossDetector.name);
  private readonly seen = new Map<QueueName, Witness[]>();

  constructor(
    private readonly queues: QueueRegistry,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  /** How far back to publish unfinished jobs again, if some queue's master lost writes since the last pass; else undefined. */
  async lostWindowMs(): Promise<number | undefined> {
    const now = Date.now();
    let lostSince: number | undefined;
    const queues = this.queues.entries();
    // One round trip for all six: each INCR goes to its own queue's master.
    const values = await Promise.all(queues.map(([name, queue]) => queue.client.incr(queueWitnessKey(this.config.queue.prefix, name))));
    for (const [index, [name]] of queues.entries()) {
      const value = values[index] ?? 0;
      const history = this.seen.get(name) ?? [];
      const last = history[history.length - 1];
      if (last && value <= last.value) {
        const survived = [...history].reverse().find((witness) => witness.value < value);
        const since = survived ? survived.at : now - FALLBACK_WINDOW_MS;
        lostSince = Math.min(lostSince ?? since, since);
        this.logger.warn(
          { queue: name, witness: value, expected: last.value + 1 },
          'the Redis master of a queue lost writes it had acknowledged (a failover): publishing its recent unfinished jobs again',
        );
        history.length = 0;
      }
      history.push({ value, at: now });
      if (history.length > HISTORY) history.shift();
      this.seen.set(name, history);
    }
    return lostSince === undefined ? undefined : now - lostSince + MARGIN_MS;
  }
}
