import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { MessageEntity, preparedQuery } from '@mq/db';
import { MicroBatcher, OutboxPublisher, StagedJob } from '@mq/messaging';
import { JOB, JobName, SEND_BATCH_MAX, jobIdFor, queueOfJob, toJobPriority } from '@mq/queue-contracts';

/** Above this many recipients a group message fans out through `batch-send` in chunks. */
export const LARGE_GROUP_RECIPIENTS = 500;

/** Concurrent commits per api instance: one fills while the other is in flight. */
const MAX_CONCURRENT_COMMITS = 1;
/** A concurrent duplicate (or a deadlock) makes the statement fail as a whole: it runs again, and then sees the other's commit. */
const MAX_STATEMENT_RUNS = 3;

export interface NewMessage {
  /** Encrypted, with its id, conversation, sender, priority and sendAt set; seq and createdAt are filled in when stored. */
  message: MessageEntity;
  /** A group message that goes through `batch-send` instead when it has more than LARGE_GROUP_RECIPIENTS recipients. */
  mayFanOut: boolean;
}

export type StoreOutcome =
  | { kind: 'stored'; seq: number | null; createdAt: Date; jobId: string }
  /** The sender's clientMessageId is already taken by a stored message: answer that one. */
  | { kind: 'duplicate' }
  /** A large group: nothing written; the caller fans it out. */
  | { kind: 'fan-out'; recipients: number }
  /** The conversation was deleted since the membership check. */
  | { kind: 'gone' };

interface ResultRow {
  kind: 'message' | 'fan-out' | 'duplicate' | 'job';
  id: string;
  seq: string | null;
  created_at: Date | null;
  job_id: string | null;
  payload: Record<string, unknown> | null;
}

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
    private readonly dataSource: DataSource,
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

    const byId = new Map(rows.filter((r) => r.kind !== 'job').map((r) => [r.id, r]));
    const staged: StagedJob[] = rows
      .filter((r) => r.kind === 'job')
      .map((r) => {
        const plan = jobs.find((j) => j.jobId === r.job_id) as JobPlan;
        return { id: r.id, jobId: plan.jobId, jobName: plan.jobName, payload: r.payload ?? {}, priority: plan.priority, availableAt: plan.availableAt };
      });
    for (const { item, index } of batch) {
      const row = byId.get(item.message.id);
      if (!row) outcomes[index] = { kind: 'gone' };
      else if (row.kind === 'duplicate') outcomes[index] = { kind: 'duplicate' };
      else if (row.kind === 'fan-out') outcomes[index] = { kind: 'fan-out', recipients: Number(row.seq) };
      else {
        const seq = row.seq === null ? null : Number(row.seq);
        outcomes[index] = { kind: 'stored', seq, createdAt: row.created_at ?? new Date(), jobId: (jobOf.get(item) as JobPlan).jobId };
      }
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

  private async runStatement(items: readonly NewMessage[], jobOf: ReadonlyMap<NewMessage, JobPlan>, jobs: readonly JobPlan[]): Promise<ResultRow[]> {
    if (items.length === 0) return [];
    const m = items.map((i) => i.message);
    const params = [
      m.map((x) => x.id),
      m.map((x) => x.conversationId),
      m.map((x) => x.senderId),
      m.map((x) => x.clientMessageId),
      m.map((x) => x.ciphertext),
      m.map((x) => x.iv),
      m.map((x) => x.authTag),
      m.map((x) => x.keyVersion),
      m.map((x) => x.priority),
      m.map((x) => x.sendAt),
      items.map((i) => i.mayFanOut),
      items.map((i) => (jobOf.get(i) as JobPlan).jobId),
      LARGE_GROUP_RECIPIENTS,
      jobs.map(() => queueOfJob(JOB.SEND_MESSAGE)),
      jobs.map((j) => j.jobName),
      jobs.map((j) => j.jobId),
      jobs.map((j) => j.priority),
      jobs.map((j) => j.availableAt),
    ];
    for (let run = 1; ; run += 1) {
      try {
        return await preparedQuery<ResultRow>(this.dataSource, STORE_MESSAGES, params);
      } catch (error) {
        if (run >= MAX_STATEMENT_RUNS || !isRetryable(error)) throw error;
      }
    }
  }
}

/**
 * One statement, so one transaction in one round trip. A retried clientMessageId already
 * stored is answered as a duplicate; a large group is left to the fan-out; a conversation
 * deleted meanwhile stores nothing. Each job's payload lists only the messages stored.
 */
const STORE_MESSAGES = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::int[], $9::text[],
                       $10::timestamptz[], $11::boolean[], $12::text[])
    WITH ORDINALITY AS i(id, conversation_id, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, send_at, may_fan_out, job_id, ord)
), duplicate AS (
  SELECT i.ord FROM input i JOIN messages m ON m.sender_id = i.sender_id AND m.client_message_id = i.client_message_id
), sized AS (
  SELECT i.ord, (SELECT count(*) FROM conversation_participants p
                 WHERE p.conversation_id = i.conversation_id AND p.left_at IS NULL AND p.user_id <> i.sender_id) AS recipients
  FROM input i WHERE i.may_fan_out
), fresh AS (
  SELECT i.* FROM input i
  WHERE i.ord NOT IN (SELECT ord FROM duplicate) AND i.ord NOT IN (SELECT ord FROM sized WHERE recipients > $13)
), locked AS (
  -- In id order: concurrent commits into the same conversations wait in line instead of deadlocking.
  SELECT c.id FROM conversations c
  WHERE c.id IN (SELECT conversation_id FROM fresh) AND c.deleted_at IS NULL ORDER BY c.id FOR UPDATE
), seqs AS (
  UPDATE conversations c SET last_seq = c.last_seq + f.n
  FROM (SELECT conversation_id, count(*) AS n FROM fresh WHERE send_at IS NULL GROUP BY conversation_id) f
  WHERE c.id = f.conversation_id AND c.id IN (SELECT id FROM locked)
  RETURNING c.id, c.last_seq - f.n AS base
), numbered AS (
  SELECT f.*, CASE WHEN f.send_at IS NULL THEN s.base + row_number() OVER (PARTITION BY f.conversation_id, f.send_at IS NULL ORDER BY f.ord) END AS seq
  FROM fresh f LEFT JOIN seqs s ON s.id = f.conversation_id
  WHERE f.conversation_id IN (SELECT id FROM locked) AND (f.send_at IS NOT NULL OR s.id IS NOT NULL)
), stored AS (
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority, status, send_at)
  SELECT id, conversation_id, seq, sender_id, client_message_id, ciphertext, iv, auth_tag, key_version, priority,
         CASE WHEN send_at IS NULL THEN 'queued' ELSE 'scheduled' END, send_at
  FROM numbered
  RETURNING id, seq, created_at
), deliveries AS (
  INSERT INTO message_deliveries (message_id, recipient_id, job_id)
  SELECT n.id, p.user_id, n.job_id FROM numbered n
  JOIN conversation_participants p ON p.conversation_id = n.conversation_id AND p.left_at IS NULL AND p.user_id <> n.sender_id
), staged AS (
  INSERT INTO outbox (queue, job_name, job_id, payload, priority, available_at)
  SELECT j.queue, j.job_name, j.job_id,
         jsonb_build_object('messageIds', (SELECT jsonb_agg(n.id ORDER BY n.ord) FROM numbered n WHERE n.job_id = j.job_id)),
         j.priority, j.available_at
  FROM unnest($14::text[], $15::text[], $16::text[], $17::int[], $18::timestamptz[]) AS j(queue, job_name, job_id, priority, available_at)
  WHERE EXISTS (SELECT 1 FROM numbered n WHERE n.job_id = j.job_id)
  ON CONFLICT (job_id) DO NOTHING
  RETURNING id, job_id, payload
)
SELECT 'message' AS kind, s.id::text AS id, s.seq, s.created_at, NULL::text AS job_id, NULL::jsonb AS payload FROM stored s
UNION ALL
SELECT 'fan-out', i.id::text, z.recipients, NULL, NULL, NULL FROM sized z JOIN input i ON i.ord = z.ord
WHERE z.recipients > $13 AND z.ord NOT IN (SELECT ord FROM duplicate)
UNION ALL
SELECT 'duplicate', i.id::text, NULL, NULL, NULL, NULL FROM duplicate d JOIN input i ON i.ord = d.ord
UNION ALL
SELECT 'job', st.id::text, NULL, NULL, st.job_id, st.payload FROM staged st`;

function isRetryable(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const { code, constraint } = error.driverError as { code?: string; constraint?: string };
  return (code === '23505' && constraint === 'uq_messages_sender_id_client_message_id') || code === '40P01';
}
