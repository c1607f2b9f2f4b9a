import { randomUUID } from 'node:crypto';
import type { Batch, JobState, Message } from '@mq/messaging-contracts';
import { MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

/** Thousands of recipients: inserted directly (hashing 10,000 passwords would be the slow part, not the pipeline). */
async function insertUsers(url: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await sql(
    url,
    `INSERT INTO users (id, email, display_name, password_hash)
     SELECT id, 'bulk-' || id || '@system.test', 'Parent', 'not-a-login' FROM unnest($1::uuid[]) AS t(id)`,
    [ids],
  );
  return ids;
}

describe('broadcasts fan out in chunks with progress, pause, resume and cancel', () => {
  let stack: TestStack;
  let admin: MessagingClient;
  let listener: { id: string; client: MessagingClient };
  const sockets: RealtimeConnection[] = [];
  let bulkIds: string[] = [];

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1 });
    admin = await stack.admin();
    [listener] = (await stack.users(1)) as [typeof listener];
    bulkIds = await insertUsers(stack.database.url, 9_999);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
  });

  /** The batch's `batch-send` jobs in a state, from the batch queue (newest first for finished ones). */
  const batchJobs = async (batchId: string, state: JobState) =>
    (await admin.operator.listQueueJobs('batch-message-sending', { state, start: 0, end: 499 })).jobs.filter((job) => job.data['batchId'] === batchId);

  /**
   * Waits until the batch's `batch-send` job has read the pause or cancel before a chunk and
   * returned: it has sent its last chunk. No other job of the batch may be left to send more
   * (only a resume adds one).
   */
  const stoppedSending = async (batchId: string, outcome: 'paused' | 'cancelled') => {
    await eventually(
      async () =>
        (await batchJobs(batchId, 'completed')).some((job) => (job.returnvalue as { outcome?: string } | null)?.outcome === outcome) ? true : undefined,
      `the batch job to stop on ${outcome}`,
    );
    const pending = [];
    for (const state of ['delayed', 'waiting', 'active'] as const) pending.push(...(await batchJobs(batchId, state)));
    expect(pending).toEqual([]);
  };

  const deliveriesOf = async (batchId: string) =>
    (
      await sql<{ n: number }>(
        stack.database.url,
        `SELECT count(*)::int AS n FROM message_deliveries d JOIN batches b ON b.message_id = d.message_id WHERE b.id = $1`,
        [batchId],
      )
    )[0]?.n;

  it('reaches all 10,000 users with one delivery row each, progress climbing to 100', async () => {
    const socket = listener.client.connect({ autoAckDelivered: true });
    sockets.push(socket);
    await socket.ready();
    const received: Message[] = [];
    socket.on('message:new', (m) => received.push(m));

    const { batchId, jobId } = await admin.operator.broadcast({ allUsers: true, content: 'School closes at noon on Friday', chunkSize: 500, chunkDelay: 50 });
    expect(jobId).toBe(`batch:${batchId}`);
    const seen: number[] = [];
    const final = await eventually(
      async () => {
        const batch: Batch = await admin.operator.getBatch(batchId);
        seen.push(batch.progress);
        return batch.status === 'completed' ? batch : undefined;
      },
      'the broadcast to complete',
      120_000,
    );
    expect(final).toMatchObject({ total: 10_000, processed: 10_000, failed: 0, progress: 100 });
    expect(seen[0]).toBeLessThan(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(await deliveriesOf(batchId)).toBe(10_000);
    await eventually(() => (received.length === 1 ? true : undefined), 'the connected user to receive it');
    expect(received[0]?.content).toBe('School closes at noon on Friday');
    const job = await admin.operator.getJob(jobId);
    expect(job).toMatchObject({ state: 'completed', progress: 100 });
  }, 180_000);

  it('pauses and resumes, and a cancel at 30% sends nothing more', async () => {
    const { batchId } = await admin.operator.broadcast({ allUsers: true, content: 'Second notice', chunkSize: 250, chunkDelay: 150 });
    await eventually(async () => ((await admin.operator.getBatch(batchId)).progress >= 10 ? true : undefined), '10%');
    const paused = await admin.operator.pauseBatch(batchId);
    expect(paused.status).toBe('paused');
    await stoppedSending(batchId, 'paused');
    const whilePaused = (await admin.operator.getBatch(batchId)).processed;
    expect((await admin.operator.getBatch(batchId)).processed).toBe(whilePaused);

    expect((await admin.operator.resumeBatch(batchId)).status).toBe('running');
    await eventually(async () => ((await admin.operator.getBatch(batchId)).progress >= 30 ? true : undefined), '30%', 60_000);
    const cancelled = await admin.operator.cancelBatch(batchId);
    expect(cancelled.status).toBe('cancelled');
    await stoppedSending(batchId, 'cancelled');
    const settled = await admin.operator.getBatch(batchId);
    const later = await admin.operator.getBatch(batchId);
    expect(later).toEqual(settled);
    expect(later.processed).toBeLessThan(10_000);
    expect(await deliveriesOf(batchId)).toBe(later.processed);
    const audit = await sql<{ action: string }>(stack.database.url, `SELECT action FROM audit_log WHERE target = $1 ORDER BY at`, [batchId]);
    expect(audit.map((a) => a.action)).toEqual(['broadcast.start', 'broadcast.pause', 'broadcast.resume', 'broadcast.cancel']);
  }, 120_000);

  it('sends into a group above 500 recipients through batch-send, and into a smaller one directly', async () => {
    const large = (await listener.client.createConversation({ type: 'group', participantIds: bulkIds.slice(0, 600) })).body;
    const small = (await listener.client.createConversation({ type: 'group', participantIds: bulkIds.slice(600, 1_100) })).body;
    const toLarge = (await listener.client.sendMessage({ conversationId: large.id, content: 'Trip forms due Monday' })).body;
    const toSmall = (await listener.client.sendMessage({ conversationId: small.id, content: 'Choir at 4' })).body;
    expect(toLarge.jobId).toMatch(/^batch:/);
    expect(toSmall.jobId).toBe(`deliver:${toSmall.message.id}`);
    expect([toLarge.message.seq, toSmall.message.seq]).toEqual([1, 1]);
    const deliveries = (messageId: string) =>
      sql<{ n: number; sent: number }>(
        stack.database.url,
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'queued')::int AS sent FROM message_deliveries WHERE message_id = $1`,
        [messageId],
      ).then((rows) => rows[0]);
    // The small group's rows exist from the send on; the large group's are written by the batch as it sends.
    await eventually(async () => ((await deliveries(toLarge.message.id))?.sent === 600 ? true : undefined), 'the large group to be sent to', 60_000);
    await eventually(async () => ((await deliveries(toSmall.message.id))?.sent === 500 ? true : undefined), 'the small group to be sent to', 60_000);
    expect(await deliveries(toLarge.message.id)).toEqual({ n: 600, sent: 600 });
    expect(await deliveries(toSmall.message.id)).toEqual({ n: 500, sent: 500 });
  }, 120_000);
});
