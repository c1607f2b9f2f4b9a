import Queue from 'bull';
import { createServer } from 'node:http';
import type { Alert, JobFailedEvent, Message, QueueMetrics, TrafficSummary } from '@mq/messaging-contracts';
import { AdminRealtimeConnection, ApiError, MessagingClient, RealtimeConnectError, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { sql, TestStack } from '@mq/system-testing';
import { queueKeyPrefix } from '@mq/queue';

type Member = { id: string; client: MessagingClient };

/** A local HTTP receiver standing in for the operators' alert webhook. */
interface WebhookPeer {
  url: string;
  alerts: Alert[];
  close(): Promise<void>;
}

async function startWebhookPeer(): Promise<WebhookPeer> {
  const alerts: Alert[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.headers['content-type'] === 'application/json') alerts.push(JSON.parse(raw) as Alert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks/alerts`,
    alerts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const isBacklogOfDelivery = (alert: Alert) => alert.rule === 'backlog' && alert.queue === 'message-delivery';

/** Reads one series' value from Prometheus text, or undefined when the series is absent. */
function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('monitoring: metrics history, alerts, the /admin namespace and Prometheus', () => {
  let webhook: WebhookPeer;
  let stack: TestStack;
  let admin: MessagingClient;
  let alice: Member;
  let bob: Member;
  let carol: Member;
  let adminSocket: AdminRealtimeConnection;
  const sockets: (AdminRealtimeConnection | RealtimeConnection)[] = [];
  const alerts: Alert[] = [];
  const failures: JobFailedEvent[] = [];
  let failingJobId: string;

  beforeAll(async () => {
    webhook = await startWebhookPeer();
    // Two api instances: admin events must reach an admin once, whichever instance it is on.
    stack = await TestStack.start({
      apis: 2,
      env: {
        METRICS_SAMPLE_INTERVAL_MS: '500',
        ALERT_BACKLOG: '5',
        ALERT_WEBHOOK_URL: webhook.url,
        // No unread reminders firing mid-test: the job counts must settle.
        NOTIFY_UNREAD_AFTER_MS: '3600000',
      },
    });
    admin = await stack.admin();
    [alice, bob, carol] = (await stack.users(3)) as [Member, Member, Member];
    adminSocket = (await stack.admin(1)).connectAdmin();
    sockets.push(adminSocket);
    adminSocket.on('alert', (alert) => alerts.push(alert));
    adminSocket.on('job:failed', (event) => failures.push(event));
    await adminSocket.ready();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
    await webhook?.close();
  });

  /** When the elected worker last wrote queue samples: each round writes them (in a new second) before it evaluates the alert rules. */
  const lastSampledAt = async () =>
    (await sql<{ at: Date | null }>(stack.database.url, `SELECT max(sampled_at) AS at FROM queue_metric_samples`))[0]?.at?.getTime() ?? 0;

  /**
   * Resolves once the monitor has written samples twice more: the round under way when called
   * has then evaluated, and so has a whole round that started after the call.
   */
  async function twoMoreMonitorRounds(): Promise<void> {
    let last = await lastSampledAt();
    for (const round of ['a', 'another']) {
      const before = last;
      last = await eventually(async () => {
        const at = await lastSampledAt();
        return at > before ? at : undefined;
      }, `${round} monitor round`);
    }
  }

  it('refuses the /admin namespace, the history and the alerts to non-admins', async () => {
    const status = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (e: unknown) => (e instanceof ApiError ? e.status : 0),
      );
    expect(await status(alice.client.operator.getMetricsHistory())).toBe(403);
    expect(await status(alice.client.operator.listAlerts())).toBe(403);
    expect(await status(admin.operator.getMetricsHistory({ minutes: 0 }))).toBe(400);
    expect(await status(admin.operator.getMetricsHistory({ minutes: 7 * 24 * 60 + 1 }))).toBe(400);
    expect(await status(admin.operator.listAlerts({ state: 'closed' as 'open' }))).toBe(400);

    const userSocket = alice.client.connectAdmin({ reconnection: false });
    sockets.push(userSocket);
    await expect(userSocket.ready()).rejects.toMatchObject({ refused: true, message: expect.stringMatching(/admin role/) });
    const anonymous = stack.client(1).connectAdmin({ reconnection: false });
    sockets.push(anonymous);
    const refusal = await anonymous.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RealtimeConnectError);
    expect((refusal as RealtimeConnectError).refused).toBe(true);
  });

  it('pushes queue:metrics to a connected admin at least every 2 s, once per beat with two api instances', async () => {
    const socket = (await stack.admin(0)).connectAdmin();
    sockets.push(socket);
    const arrivals: { at: number; metrics: QueueMetrics }[] = [];
    socket.on('queue:metrics', (metrics) => arrivals.push({ at: Date.now(), metrics }));
    await socket.ready();
    // The greeting and three beats: a second copy of any beat from the other instance would land among them.
    await eventually(() => (arrivals.length >= 4 ? true : undefined), 'four queue:metrics pushes');
    socket.disconnect();
    expect(arrivals.length).toBeGreaterThanOrEqual(4);
    expect(Object.keys(arrivals[0]?.metrics.queues ?? {}).sort()).toEqual([...QUEUE_NAMES].sort());
    const gaps = arrivals.slice(1).map((a, i) => a.at - (arrivals[i] as { at: number }).at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2_500);
    // After the greeting snapshot, one instance's beat: no second copy from the other instance.
    expect(Math.min(...gaps.slice(1))).toBeGreaterThan(1_000);
  });

  it('opens one backlog alert (socket, webhook, GET /alerts), keeps it while it holds, resolves it once drained', async () => {
    const { body: team } = await alice.client.createConversation({ type: 'group', participantIds: [carol.id], title: 'team' });
    const { body: trip } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id, carol.id], title: 'trip' });
    await admin.operator.pauseQueue('message-delivery');
    for (let i = 0; i < 6; i++) await alice.client.sendMessage({ conversationId: team.id, content: `note ${i}` });
    // This one will fail for good: its recipient leaves before it goes out.
    const failing = await alice.client.sendMessage({ conversationId: trip.id, content: 'Coach leaves at 8' });
    failingJobId = failing.body.jobId;
    await admin.removeParticipant(trip.id, bob.id);

    const opened = await eventually(() => alerts.find((a) => isBacklogOfDelivery(a) && a.status === 'open'), 'the backlog alert on the socket', 15_000);
    expect(opened).toMatchObject({ severity: 'warning', threshold: 5, resolvedAt: null });
    expect(opened.value).toBeGreaterThan(5);
    await eventually(() => webhook.alerts.find((a) => a.id === opened.id), 'the backlog alert at the webhook');
    const open = await admin.operator.listAlerts({ state: 'open' });
    expect(open.filter(isBacklogOfDelivery)).toEqual([expect.objectContaining({ id: opened.id, status: 'open' })]);

    // Still holding: the same row is refreshed, nothing new is announced (by rounds that saw all seven jobs).
    await twoMoreMonitorRounds();
    const still = (await admin.operator.listAlerts({ state: 'open' })).filter(isBacklogOfDelivery);
    expect(still).toEqual([expect.objectContaining({ id: opened.id, value: 7 })]);
    expect(Date.parse(still[0]?.lastSeenAt ?? '')).toBeGreaterThan(Date.parse(opened.lastSeenAt));
    expect(alerts.filter(isBacklogOfDelivery)).toHaveLength(1);

    await admin.operator.resumeQueue('message-delivery');
    const resolved = await eventually(() => alerts.find((a) => a.id === opened.id && a.status === 'resolved'), 'the alert to resolve', 15_000);
    expect(resolved.resolvedAt).not.toBeNull();
    await eventually(() => webhook.alerts.find((a) => a.id === opened.id && a.status === 'resolved'), 'the resolution at the webhook');
    expect((await admin.operator.listAlerts({ state: 'open' })).filter(isBacklogOfDelivery)).toEqual([]);
    expect((await admin.operator.listAlerts({ state: 'resolved' })).find((a) => a.id === opened.id)).toMatchObject({ status: 'resolved' });
    await twoMoreMonitorRounds(); // rounds after the resolution announce nothing more
    expect(alerts.filter((a) => a.id === opened.id).map((a) => a.status)).toEqual(['open', 'resolved']);
    expect(webhook.alerts.filter((a) => a.id === opened.id).map((a) => a.status)).toEqual(['open', 'resolved']);
  });

  it('counts a mixed workload into per-minute history that adds up to what Bull ran, and announces the failed job once', async () => {
    // Receipts (delivery-confirmation), offline notifications, indexing (an edit and a delete re-index) and a
    // broadcast, on top of the sends above.
    const carolSocket = carol.client.connect({ autoAckDelivered: true });
    sockets.push(carolSocket);
    await carolSocket.ready();
    const { body: direct } = await alice.client.createConversation({ type: 'direct', participantIds: [carol.id] });
    const hellos = [];
    for (let i = 0; i < 5; i++) hellos.push((await alice.client.sendMessage({ conversationId: direct.id, content: `hello ${i}` })).body.message);
    await alice.client.editMessage((hellos[0] as Message).id, { content: 'hello again' });
    await alice.client.deleteMessage((hellos[1] as Message).id);
    const { batchId } = await admin.operator.broadcast({ recipientIds: [alice.id, bob.id, carol.id], content: 'School closes at noon' });
    await eventually(async () => ((await admin.operator.getBatch(batchId)).status === 'completed' ? true : undefined), 'the broadcast');

    // The send whose recipient left retries 5 times (2 s .. 16 s apart), then fails for good.
    const failed = await eventually(() => failures.find((f) => f.jobId === failingJobId), 'job:failed for the undeliverable send', 60_000);
    expect(failed).toEqual({
      queue: 'message-delivery',
      jobId: failingJobId,
      name: 'send-message',
      failedReason: expect.stringMatching(/no longer a participant/),
    });

    const settled = await eventually(
      async () => {
        const metrics = await admin.operator.getQueueMetrics();
        const busy = QUEUE_NAMES.some((q) => (metrics.queues[q]?.waiting ?? 0) + (metrics.queues[q]?.active ?? 0) > 0);
        if (busy || (metrics.queues['message-delivery']?.delayed ?? 0) > 0) return undefined;
        const history = await admin.operator.getMetricsHistory({ minutes: 60 });
        const sums = (queue: string) =>
          (history.queues[queue] ?? []).reduce((s, m) => ({ completed: s.completed + m.completed, failed: s.failed + m.failed }), { completed: 0, failed: 0 });
        const matches = QUEUE_NAMES.every((q) => {
          const sum = sums(q);
          return sum.completed === metrics.queues[q]?.completed && sum.failed === metrics.queues[q]?.failed;
        });
        return matches ? { metrics, history } : undefined;
      },
      'the history to add up to Bull’s completed and failed counts',
      20_000,
    );
    const { metrics, history } = settled;
    // …and the metrics endpoint says exactly what Bull itself holds, queue by queue.
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, {
        prefix: queueKeyPrefix(stack.queue.prefix, name),
        redis: { host: stack.queue.redis.host, port: stack.queue.redis.port },
      });
      try {
        const counts = await queue.getJobCounts();
        const now = await admin.operator.getQueueMetrics();
        expect({ name, ...now.queues[name] }).toEqual({ name, ...counts, paused: now.queues[name]?.paused });
      } finally {
        await queue.close();
      }
    }
    expect(metrics.queues['message-delivery']?.completed).toBeGreaterThanOrEqual(12); // 11 sends + receipts
    expect(metrics.queues['message-delivery']?.failed).toBe(1);
    expect(metrics.queues['message-indexing']?.completed).toBeGreaterThanOrEqual(2);
    expect(metrics.queues['batch-message-sending']?.completed).toBeGreaterThanOrEqual(1);
    expect(history.minutes).toBe(60);
    for (const sample of history.queues['message-delivery'] ?? []) {
      expect(sample).toEqual({
        at: expect.stringMatching(/:00\.000Z$/),
        completed: expect.any(Number),
        failed: expect.any(Number),
        waiting: expect.any(Number),
      });
    }
    // The peak backlog of the paused minute shows in the series.
    expect(Math.max(...(history.queues['message-delivery'] ?? []).map((m) => m.waiting))).toBeGreaterThanOrEqual(7);

    await twoMoreMonitorRounds(); // more samples change nothing: nothing is counted twice
    const again = await admin.operator.getMetricsHistory({ minutes: 60 });
    const total = (h: typeof history) =>
      Object.values(h.queues)
        .flat()
        .reduce((s, m) => s + m.completed, 0);
    expect(total(again)).toBe(total(history));
    expect(failures.filter((f) => f.jobId === failingJobId)).toHaveLength(1);
  });

  it('exposes job timings and outcomes on the worker’s /metrics and HTTP timings and sockets on the api’s', async () => {
    const worker = await (await fetch(`${stack.worker?.url}/metrics`)).text();
    const job = (outcome: string) => seriesValue(worker, `mq_job_attempts_total{queue="message-delivery",name="send-message",outcome="${outcome}"}`);
    expect(job('completed')).toBeGreaterThanOrEqual(11);
    expect(job('retrying')).toBe(4);
    expect(job('failed')).toBe(1);
    expect(seriesValue(worker, 'mq_job_duration_seconds_count{queue="message-delivery",name="send-message",outcome="completed"}')).toBe(job('completed'));
    expect(worker).toMatch(/mq_job_duration_seconds_bucket\{le="0\.1",queue="message-indexing",name="index-message",outcome="completed"\} \d+/);

    expect((await fetch(`${stack.api(0).url}/no-such-route`)).status).toBe(404);
    const api = await (await fetch(`${stack.api(0).url}/metrics`)).text();
    expect(seriesValue(api, 'mq_http_request_duration_seconds_count{method="GET",route="/queue/metrics/history",status="200"}')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(api, 'mq_http_request_duration_seconds_count{method="DELETE",route="/conversations/:id/participants/:userId",status="204"}')).toBe(1);
    expect(seriesValue(api, 'mq_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(api).not.toContain(bob.id);
    const other = await (await fetch(`${stack.api(1).url}/metrics`)).text();
    expect(seriesValue(other, 'mq_socket_connections{namespace="/admin"}')).toBe(1);
    expect(seriesValue(other, 'mq_socket_connections{namespace="/"}')).toBe(0);
  });

  it("gives the dashboard's headline from real traffic: messages/s and send -> receive p50/p99, counted by the workers", async () => {
    const traffic = async (): Promise<TrafficSummary> =>
      (await (await fetch(`${stack.api(1).url}/traffic`, { headers: { authorization: `Bearer ${admin.token}` } })).json()) as TrafficSummary;
    expect((await fetch(`${stack.api(0).url}/traffic`, { headers: { authorization: `Bearer ${bob.client.token}` } })).status).toBe(403);
    const before = await traffic();
    const bobSocket = bob.client.connect({ autoAckDelivered: true });
    sockets.push(bobSocket);
    await bobSocket.ready();
    const { body: direct } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    for (let i = 0; i < 5; i++) await alice.client.sendMessage({ conversationId: direct.id, content: `ping ${i}` });

    // Each worker adds its counts to Redis every 5 s.
    const after = await eventually(
      async () => {
        const now = await traffic();
        return now.messages >= before.messages + 5 && now.deliveries >= before.deliveries + 5 ? now : undefined;
      },
      'the five messages and their device acknowledgements to be counted',
      20_000,
    );
    expect(after.messagesPerSecond).toBeGreaterThan(0);
    expect(after.p50Ms).toEqual(expect.any(Number));
    expect(after.p50Ms).toBeLessThanOrEqual(after.p99Ms ?? -1);
    // Acknowledged within this test's run: far below a minute, whatever the machine.
    expect(after.p99Ms).toBeLessThan(30_000);
    expect(after.minutes).toHaveLength(60);
    expect(after.minutes.reduce((sum, minute) => sum + minute.messages, 0)).toBe(after.messages);
  });
});
