import { Injectable } from '@nestjs/common';
import { MessageEntity, MessageRepository, StoreBatchRow, isRetryableStoreConflict } from '@mq/db';
import { OutboxPublisher, StagedJob } from '@mq/messaging';
import { MicroBatcher } from '../batching/micro.batcher';
import { JOB, JobName, SEND_BATCH_MAX, jobIdFor, queueOfJob, toJobPriority } from '@mq/queue-contracts';

/** Above this many recipients a group message fans out through `batch-send` in chunks. */
export const LARGE_GROUP_RECIPIENTS = 500;

/** Concurrent commits per api instance: one fills while the other is in flight. */
const MAX_CONCURRENT_COMMITS = 1;
/** Runs of the store statement before its conflict is the caller's. */
const MAX_STATEMENT_RUNS = 3;

export interface NewMessage {
  /** Encrypted, with its id, conversation, sender, priority and sendAt set; seq and createdAt are filled in when stored. */
  message: MessageEntity;
  /** A group message that goes through `batch-send` instead when it has more than LARGE_GROUP_RECIPIENTS recipients. */
  mayFanOut: boolean;
  /** With tracing on: the send's trace context, carried on in its job (README "Tracing"). */
  traceparent?: string;
}

export type StoreOutcome =
  | { kind: 'stored'; seq: number | null; createdAt: Date; jobId: string }
  /** The sender's clientMessageId is already taken by a stored message: answer that one. */
  | { kind: 'duplicate' }
  /** A large group: nothing written; the caller fans it out. */
  | { kind: 'fan-out'; recipients: number }
  /** The conversation was deleted since the membership check. */
  | { kind: 'gone' };

interface JobPlan {
  jobId: string;
  jobName: JobName;
  priority: number;
  availableAt: Date;
}

/**
 * Group commit of new messages: every send that arrives while a commit is in flight is stored
 * in the next one, as ONE statement that takes each conversation's next seqs, inserts the
 * encrypted messages, their recipients' delivery rows and their `send-message` outbox rows.
 * Immediate messages of one priority share one job (the worker sends them together);
 * scheduled ones get a job each, due at their time. A lone send is a batch of one and pays no
 * wait. After the commit the jobs are published (the outbox relay covers a failure).
 */
@Injectable()
export class MessageStoreWriter {
  private readonly batcher = new MicroBatcher<NewMessage, StoreOutcome>({
    run: (items) => this.storeAll(items),
    maxBatch: SEND_BATCH_MAX,
    maxConcurrent: MAX_CONCURRENT_COMMITS,
  });

  constructor(
    private readonly messages: MessageRepository,
    private readonly outbox: OutboxPublisher,
  ) {}

  store(item: NewMessage): Promise<StoreOutcome> {
    return this.batcher.submit(item);
  }

  private async storeAll(items: readonly NewMessage[]): Promise<StoreOutcome[]> {
    const outcomes = new Array<StoreOutcome | undefined>(items.length);
    // The same clientMessageId twice in one batch: the first is stored, the others answer it.
    const taken = new Set<string>();
    const batch: { item: NewMessage; index: number }[] = [];
    items.forEach((item, index) => {
      const { senderId, clientMessageId } = item.message;
      const key = clientMessageId === null ? undefined : `${senderId}\n${clientMessageId}`;
      if (key !== undefined && taken.has(key)) outcomes[index] = { kind: 'duplicate' };
      else batch.push({ item, index });
      if (key !== undefined) taken.add(key);
    });
    const jobOf = new Map<NewMessage, JobPlan>();
    const jobs = this.planJobs(
      batch.map((b) => b.item),
      jobOf,
    );
    const rows = await this.runStatement(
      batch.map((b) => b.item),
      jobOf,
      jobs,
    );

    const byId = new Map<string, StoreBatchRow>();
    const staged: StagedJob[] = [];
    for (const row of rows) {
      if (row.kind !== 'job') {
        byId.set(row.id, row);
        continue;
      }
      const plan = jobs.find((j) => j.jobId === row.jobId) as JobPlan;
      staged.push({ id: row.outboxId, jobId: plan.jobId, jobName: plan.jobName, payload: row.payload, priority: plan.priority, availableAt: plan.availableAt });
    }
    for (const { item, index } of batch) {
      const row = byId.get(item.message.id);
      if (!row) outcomes[index] = { kind: 'gone' };
      else if (row.kind === 'duplicate') outcomes[index] = { kind: 'duplicate' };
      else if (row.kind === 'fan-out') outcomes[index] = { kind: 'fan-out', recipients: row.recipients };
      else if (row.kind === 'message') outcomes[index] = { kind: 'stored', seq: row.seq, createdAt: row.createdAt, jobId: (jobOf.get(item) as JobPlan).jobId };
    }
    await this.outbox.publish(staged);
    return outcomes as StoreOutcome[];
  }

  /** Immediate messages: one job per priority. Scheduled ones: a job each, due at its time. */
  private planJobs(items: readonly NewMessage[], jobOf: Map<NewMessage, JobPlan>): JobPlan[] {
    const immediate = new Map<string, NewMessage[]>();
    const plans: JobPlan[] = [];
    for (const item of items) {
      if (item.message.sendAt) {
        const plan = this.plan([item], item.message.sendAt);
        jobOf.set(item, plan);
        plans.push(plan);
      } else {
        immediate.set(item.message.priority, [...(immediate.get(item.message.priority) ?? []), item]);
      }
    }
    for (const group of immediate.values()) {
      const plan = this.plan(group, new Date());
      for (const item of group) jobOf.set(item, plan);
      plans.push(plan);
    }
    return plans;
  }

  private plan(items: readonly NewMessage[], availableAt: Date): JobPlan {
    const [first] = items as [NewMessage];
    return {
      jobId: jobIdFor(JOB.SEND_MESSAGE, { messageIds: items.map((i) => i.message.id) }),
      jobName: JOB.SEND_MESSAGE,
      priority: toJobPriority(first.message.priority),
      availableAt,
    };
  }

  private async runStatement(items: readonly NewMessage[], jobOf: ReadonlyMap<NewMessage, JobPlan>, jobs: readonly JobPlan[]): Promise<StoreBatchRow[]> {
    const toStore = items.map((item) => ({
      message: item.message,
      mayFanOut: item.mayFanOut,
      jobId: (jobOf.get(item) as JobPlan).jobId,
      traceparent: item.traceparent,
    }));
    const toStage = jobs.map((job) => ({ ...job, queue: queueOfJob(job.jobName) }));
    // A concurrent duplicate (or a deadlock) fails the statement as a whole: it runs again, and then sees the other's commit.
    for (let run = 1; ; run += 1) {
      try {
        return await this.messages.storeBatch(toStore, toStage, LARGE_GROUP_RECIPIENTS);
      } catch (error) {
        if (run >= MAX_STATEMENT_RUNS || !isRetryableStoreConflict(error)) throw error;
      }
    }
  }
}
