import type { Batch } from '@mq/messaging-contracts';
import { MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { sql } from '@mq/system-testing';
import { ProgressBar } from './progress.bar';
import { CpuShare, CpuSubjects, cpuBetween, round, sampleCpu } from './process.probe';
import { Percentiles, mapLimit, percentiles, sleep } from './stats.math';
import type { UserSource } from './users.seeder';

export interface BroadcastOptions {
  recipients: number;
  sample: number;
  chunkSize: number;
  cores: number;
  cpuSubjects: CpuSubjects;
  /** With --start: delivery rows are counted in the database as well. */
  databaseUrl?: string;
}

export interface BroadcastResult {
  /** Users created for it (SQL rows with --start, POST /users otherwise). */
  created: number;
  createdVia: 'sql' | 'api';
  createSeconds: number;
  /** The batch's total: every active user but the sender (the run's other users included). */
  total: number;
  chunkSize: number;
  status: Batch['status'] | 'timeout';
  processed: number;
  failed: number;
  /** POST /messages/broadcast answered. */
  acceptedMs: number;
  /** GET /messages/batches/:id says completed: every delivery row written. */
  completedMs: number | undefined;
  /** Counted in the database (with --start). */
  deliveryRows: number | undefined;
  sample: number;
  sampleReceived: number;
  /** The last connected sample recipient got `message:new`. */
  sampleAllReceivedMs: number | undefined;
  sampleLatencyMs: Percentiles;
  /** Both done: rows written and every connected sample recipient reached. */
  totalMs: number | undefined;
  recipientsPerSecond: number | undefined;
  cpu: CpuShare;
}

const POLL_MS = 100;
const TIMEOUT_MS = 5 * 60_000;

/**
 * Broadcast fan-out: `allUsers` to N recipients (inserted with SQL under --start), timed until
 * the batch reports completed (every delivery row exists) and until every connected sample
 * recipient has received it on its socket.
 */
export async function measureBroadcast(
  source: UserSource,
  admin: MessagingClient,
  options: BroadcastOptions,
  progress: ProgressBar,
): Promise<{ result: BroadcastResult; recipientIds: string[] }> {
  progress.phase(`broadcast: ${source.kind === 'sql' ? 'inserting' : 'creating'} users`, options.recipients);
  const createStart = performance.now();
  const sampleUsers = await source.users(Math.min(options.sample, options.recipients), 'listener');
  const recipientIds = await source.recipients(options.recipients - sampleUsers.length, (done) =>
    progress.update(sampleUsers.length + done, `${sampleUsers.length + done} users`),
  );
  const createSeconds = (performance.now() - createStart) / 1000;
  progress.done(`${options.recipients} users in ${round(createSeconds, 1)} s`);

  progress.phase('broadcast: connecting sample', sampleUsers.length);
  const marker = `Broadcast bench ${Date.now().toString(36)}: school closes at noon on Friday`;
  const receivedAt = new Map<string, number>();
  let connected = 0;
  const sockets: RealtimeConnection[] = await mapLimit(sampleUsers, 50, async (user) => {
    const socket = source.client(user).connect({ transports: ['websocket'], userId: user.id, autoAckDelivered: false });
    socket.on('message:new', (message) => {
      if (message.content === marker && !receivedAt.has(user.id)) receivedAt.set(user.id, performance.now());
    });
    await socket.ready();
    progress.update((connected += 1), `${connected} connected`);
    return socket;
  });
  progress.done(`${sockets.length} sample recipients connected`);

  try {
    progress.phase(`broadcast to ${options.recipients}`, options.recipients);
    const cpuStart = await sampleCpu(options.cpuSubjects);
    const t0 = performance.now();
    const { batchId } = await admin.operator.broadcast({ allUsers: true, content: marker, chunkSize: options.chunkSize, chunkDelay: 0 });
    const acceptedMs = performance.now() - t0;
    let batch: Batch | undefined;
    let completedMs: number | undefined;
    while (performance.now() - t0 < TIMEOUT_MS) {
      batch = await admin.operator.getBatch(batchId);
      progress.resize(batch.total);
      progress.update(batch.processed, `processed ${batch.processed}/${batch.total} · sample received ${receivedAt.size}/${sockets.length}`);
      if (batch.status === 'completed') completedMs = performance.now() - t0;
      if (['completed', 'failed', 'cancelled'].includes(batch.status)) break;
      await sleep(POLL_MS);
    }
    // The sample may still be receiving the last chunk's emit.
    const sampleDeadline = performance.now() + 30_000;
    while (receivedAt.size < sockets.length && performance.now() < sampleDeadline) await sleep(20);
    const cpu = cpuBetween(cpuStart, await sampleCpu(options.cpuSubjects), options.cores);
    const latencies = [...receivedAt.values()].map((at) => at - t0);
    const sampleAllReceivedMs = receivedAt.size === sockets.length && latencies.length > 0 ? Math.max(...latencies) : undefined;
    let deliveryRows: number | undefined;
    if (options.databaseUrl) {
      const [row] = await sql<{ n: number }>(
        options.databaseUrl,
        `SELECT count(*)::int AS n FROM message_deliveries d JOIN batches b ON b.message_id = d.message_id WHERE b.id = $1`,
        [batchId],
      );
      deliveryRows = row?.n;
    }
    const totalMs = completedMs !== undefined && sampleAllReceivedMs !== undefined ? Math.max(completedMs, sampleAllReceivedMs) : undefined;
    const result: BroadcastResult = {
      created: options.recipients,
      createdVia: source.kind,
      createSeconds: round(createSeconds, 1),
      total: batch?.total ?? 0,
      chunkSize: options.chunkSize,
      status: batch && ['completed', 'failed', 'cancelled'].includes(batch.status) ? batch.status : 'timeout',
      processed: batch?.processed ?? 0,
      failed: batch?.failed ?? 0,
      acceptedMs: round(acceptedMs),
      completedMs: completedMs === undefined ? undefined : round(completedMs),
      deliveryRows,
      sample: sockets.length,
      sampleReceived: receivedAt.size,
      sampleAllReceivedMs: sampleAllReceivedMs === undefined ? undefined : round(sampleAllReceivedMs),
      sampleLatencyMs: percentiles(latencies),
      totalMs: totalMs === undefined ? undefined : round(totalMs),
      recipientsPerSecond: completedMs ? round((batch?.total ?? 0) / (completedMs / 1000)) : undefined,
      cpu,
    };
    progress.done(
      `${result.status} in ${result.completedMs ?? '-'} ms (${result.recipientsPerSecond ?? '-'} recipients/s), sample ${result.sampleReceived}/${result.sample} by ${result.sampleAllReceivedMs ?? '-'} ms`,
    );
    return { result, recipientIds: [...sampleUsers.map((u) => u.id), ...recipientIds] };
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}
