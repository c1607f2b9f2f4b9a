import type { Message } from '@mq/messaging-contracts';
import { ConversationInbox, MessagingClient, RealtimeConnection } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

describe('a delivery that cannot go out: retries, dead letter, replay after the fix', () => {
  let stack: TestStack;
  let alice: Member;
  let bob: Member;
  let carol: Member;
  const sockets: RealtimeConnection[] = [];

  beforeAll(async () => {
    // No worker yet: the message waits in the queue while its recipient is removed.
    stack = await TestStack.start({ apis: 1, worker: false });
    [alice, bob, carol] = (await stack.users(3)) as [Member, Member, Member];
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await stack?.stop();
  });

  it('fails for the removed recipient only, dead-letters with the reason, and a replay delivers exactly once', async () => {
    const { body: group } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id, carol.id], title: 'trip' });
    const bobSocket = bob.client.connect({ autoAckDelivered: true });
    sockets.push(bobSocket);
    await bobSocket.ready();
    const bobInbox = new ConversationInbox(group.id);
    bobInbox.attach(bobSocket);
    const carolSocket = carol.client.connect();
    sockets.push(carolSocket);
    await carolSocket.ready();
    const carolGot: Message[] = [];
    carolSocket.on('message:new', (m) => carolGot.push(m));

    const sent = await alice.client.sendMessage({ conversationId: group.id, content: 'Coach leaves at 8' });
    await alice.client.removeParticipant(group.id, bob.id).catch(async () => {
      const admin = await stack.admin();
      await admin.removeParticipant(group.id, bob.id);
    });
    await stack.startWorker();

    // Carol gets it at once; Bob's copy fails on every attempt (5, backing off 2 s .. 16 s).
    await eventually(() => carolGot.find((m) => m.id === sent.body.message.id), 'carol to receive it');
    const deadLetter = await eventually(
      async () =>
        (await sql<{ id: string; failed_reason: string; attempts_made: number; job_id: string }>(stack.database.url, `SELECT * FROM dead_letters`))[0],
      'the dead letter',
      60_000,
    );
    expect(deadLetter).toMatchObject({ job_id: sent.body.jobId, attempts_made: 5 });
    expect(deadLetter.failed_reason).toMatch(/no longer a participant/);
    const deliveries = await alice.client.listDeliveries(sent.body.message.id);
    expect(deliveries.find((d) => d.recipientId === bob.id)).toMatchObject({
      status: 'failed',
      attempts: 5,
      failureReason: expect.stringMatching(/no longer a participant/),
    });
    expect(deliveries.find((d) => d.recipientId === carol.id)?.status).toBe('sent');
    expect(bobInbox.size).toBe(0);

    // Fix the cause, replay from the dead letters: Bob receives it once, Carol nothing more.
    const admin = await stack.admin();
    const failedPage = await admin.operator.listFailedDeliveries({ limit: 10 } as never);
    expect(failedPage.deliveries).toEqual([
      expect.objectContaining({
        messageId: sent.body.message.id,
        recipientId: bob.id,
        attempts: 5,
        jobId: sent.body.jobId,
        failureReason: expect.stringMatching(/participant/),
      }),
    ]);
    const filtered = await fetch(`${stack.api().url}/deliveries/failed?reason=INACTIVE`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(((await filtered.json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
    const job = await admin.operator.getJob(sent.body.jobId);
    expect(job).toMatchObject({ id: sent.body.jobId, queue: 'message-delivery', name: 'send-message', state: 'failed', attemptsMade: 5 });
    // Its history from Postgres: every attempt, with the worker process that ran it and its stack.
    const history = await admin.operator.getJobHistory(sent.body.jobId);
    expect(history.attempts.map((attempt) => [attempt.kind, attempt.attempt])).toEqual([
      ['attempt-failed', 1],
      ['attempt-failed', 2],
      ['attempt-failed', 3],
      ['attempt-failed', 4],
      ['failed', 5],
    ]);
    for (const attempt of history.attempts) {
      expect(attempt.worker).toMatch(/^.+:\d+$/);
      expect(attempt.stack).toMatch(/no longer a participant[\s\S]*\n\s+at /);
      expect(Date.parse(attempt.at) - Date.parse(attempt.startedAt ?? '')).toBe(attempt.durationMs);
    }
    expect(job.failedReason).toMatch(/no longer a participant/);
    expect(job.stacktrace).toHaveLength(5);
    expect(JSON.stringify(job.data)).not.toContain('Coach leaves');
    await admin.addParticipant(group.id, { userId: bob.id });
    const [listed] = await admin.operator.listDeadLetters();
    expect(listed).toMatchObject({ id: deadLetter.id, jobId: sent.body.jobId, failedReason: expect.stringMatching(/participant/) });
    await admin.operator.replayDeadLetter(deadLetter.id);
    await eventually(() => (bobInbox.has(sent.body.message.id) ? true : undefined), 'bob to receive it after the replay', 30_000);
    await eventually(
      async () => ((await alice.client.listDeliveries(sent.body.message.id)).find((d) => d.recipientId === bob.id)?.status === 'delivered' ? true : undefined),
      'bob’s delivery to be recorded',
    );
    await admin.operator.replayDeadLetter(deadLetter.id); // a second replay changes nothing
    // The job is no longer failed, so the replay adds it again under a new id: wait for that run to end, having emitted to no one.
    const replayJobId = (await admin.operator.listDeadLetters()).find((d) => d.id === deadLetter.id)?.replayJobId;
    expect(replayJobId).toMatch(/:replay-/);
    const replayed = await eventually(async () => {
      const job = await admin.operator.getJob(replayJobId as string);
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    }, 'the second replay to finish');
    expect(replayed).toMatchObject({ state: 'completed', returnvalue: expect.objectContaining({ delivered: 0 }) });
    expect(bobInbox.size).toBe(1);
    expect(bobInbox.duplicates).toBe(0);
    expect(carolGot.filter((m) => m.id === sent.body.message.id)).toHaveLength(1);
    // The whole story, from Postgres: accepted, published, each attempt with its error, dead-lettered, replayed, delivered.
    const timeline = await eventually(async () => {
      const t = await admin.operator.getMessageTimeline(sent.body.message.id);
      return t.events.some((e) => e.kind === 'delivered' && e.detail.includes(bob.id)) &&
        t.events.some((e) => e.kind === 'attempt' && e.detail.includes('completed'))
        ? t
        : undefined;
    }, 'a complete timeline');
    const kinds = timeline.events.map((e) => e.kind);
    expect(kinds[0]).toBe('accepted');
    for (const kind of ['published', 'attempt', 'failed', 'retried', 'emitted', 'delivered']) expect(kinds).toContain(kind);
    expect(timeline.events.filter((e) => e.kind === 'attempt' && /no longer a participant/.test(e.detail))).toHaveLength(4);
    const times = timeline.events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(JSON.stringify(timeline)).not.toContain('Coach leaves');

    for (const q of [sent.body.message.id, sent.body.jobId, 'no longer a participant']) {
      const { results } = await admin.operator.searchJobs(q);
      expect(results).toEqual(
        expect.arrayContaining([expect.objectContaining({ jobId: sent.body.jobId, messageId: sent.body.message.id, queue: 'message-delivery' })]),
      );
    }

    // The dead-letter actions (creating the test's users is audited too).
    const audit = await sql<{ action: string; target: string }>(
      stack.database.url,
      `SELECT action, target FROM audit_log WHERE action LIKE 'dead-letter.%' ORDER BY at`,
    );
    expect(audit).toEqual([
      { action: 'dead-letter.replay', target: sent.body.jobId },
      { action: 'dead-letter.replay', target: sent.body.jobId },
    ]);
  }, 120_000);
});
