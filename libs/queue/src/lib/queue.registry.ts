import type { Job, Queue } from 'bull';
import { QUEUE_NAMES, QueueName, queueOfJobId } from '@mq/queue-contracts';

/** The six Bull queues of this process, by name. */
export class QueueRegistry {
  private readonly byName: ReadonlyMap<QueueName, Queue>;

  constructor(queues: ReadonlyMap<QueueName, Queue>) {
    for (const name of QUEUE_NAMES) {
      if (!queues.has(name)) throw new Error(`Queue ${name} is not registered`);
    }
    this.byName = queues;
  }

  get(name: QueueName): Queue {
    const queue = this.byName.get(name);
    if (!queue) throw new Error(`Queue ${name} is not registered`);
    return queue;
  }

  entries(): [QueueName, Queue][] {
    return QUEUE_NAMES.map((name) => [name, this.get(name)]);
  }

  /**
   * Finds a job by id alone: the id's prefix names its queue; ids this system did not mint
   * (Bull's repeat ids) are looked up in every queue.
   */
  async findJob(jobId: string): Promise<{ queue: QueueName; job: Job } | undefined> {
    const known = queueOfJobId(jobId);
    const candidates = known ? [known] : QUEUE_NAMES;
    for (const name of candidates) {
      const job = await this.get(name).getJob(jobId);
      if (job) return { queue: name, job };
    }
    return undefined;
  }
}
