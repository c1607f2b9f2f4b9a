import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

/**
 * A send whose job fails for a cause the processor cannot record itself (its transaction rolls
 * back: here, content that can no longer be decrypted) is as visible as any other failure: the
 * deliveries are `failed` with the last error and the attempts made, in the sender's view, the
 * operators' failed deliveries list, the timeline and the dead letters.
 */
describe('a send that failed for good, whatever the cause, is visible to operators', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // The worker starts only once the message's ciphertext is damaged.
    stack = await TestStack.start({ apis: 1, worker: false });
  });

  afterAll(() => stack?.stop());

  it('shows the deliveries failed with the decryption error in REST, the failed list, the timeline and the dead letters', async () => {
    const [alice, bob] = (await stack.users(2)) as [Member, Member];
    const admin = await stack.admin();
    const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [bob.id] });
    const { body: sent } = await alice.client.sendMessage({ conversationId: conversation.id, content: 'Inhaler is in the office' });
    const messageId = sent.message.id;
    await sql(stack.database.url, `UPDATE messages SET auth_tag = set_byte(auth_tag, 0, get_byte(auth_tag, 0) # 1) WHERE id = $1`, [messageId]);
    await stack.startWorker();

    // Each retry waits out its backoff; an operator's promote runs it now (what the console's button does).
    const [failed] = await eventually(async () => {
      await admin.operator.promoteDelayedJobs('message-delivery');
      const deliveries = await alice.client.listDeliveries(messageId);
      return deliveries.every((d) => d.status === 'failed') ? deliveries : undefined;
    }, 'the delivery to fail for good');
    expect(failed).toMatchObject({ recipientId: bob.id, status: 'failed', attempts: 5, failureReason: expect.stringMatching(/Cannot decrypt message/) });

    const page = await admin.operator.listFailedDeliveries();
    expect(page.deliveries.filter((d) => d.messageId === messageId)).toEqual([
      expect.objectContaining({
        recipientId: bob.id,
        attempts: 5,
        jobId: sent.jobId,
        failureReason: expect.stringMatching(/Cannot decrypt message/),
        failedAt: expect.any(String),
      }),
    ]);
    const timeline = await eventually(async () => {
      const found = await admin.operator.getMessageTimeline(messageId);
      return found.events.some((e) => e.kind === 'failed' && e.detail.includes(bob.id)) ? found : undefined;
    }, 'the failed delivery on the timeline');
    expect(timeline.events.find((e) => e.kind === 'failed' && e.detail.includes(bob.id))?.detail).toMatch(/Cannot decrypt message/);
    const deadLetters = await eventually(async () => {
      const found = (await admin.operator.listDeadLetters()).filter((d) => d.jobId === sent.jobId);
      return found.length > 0 ? found : undefined;
    }, 'the dead letter');
    expect(deadLetters[0]?.failedReason).toMatch(/Cannot decrypt message/);

    // An operator's retry runs the job once more; its failure is written too: a sixth attempt, failed anew.
    const [before] = page.deliveries.filter((d) => d.messageId === messageId);
    await admin.operator.retryJob(sent.jobId);
    const [again] = await eventually(async () => {
      const found = (await admin.operator.listFailedDeliveries()).deliveries.filter((d) => d.messageId === messageId);
      return found[0]?.attempts === 6 ? found : undefined;
    }, 'the retry to fail and be written');
    expect(again).toMatchObject({ recipientId: bob.id, failureReason: expect.stringMatching(/Cannot decrypt message/) });
    expect(Date.parse(again?.failedAt ?? '')).toBeGreaterThan(Date.parse(before?.failedAt ?? ''));
    expect(await alice.client.listDeliveries(messageId)).toEqual([expect.objectContaining({ status: 'failed', attempts: 6, sentAt: null })]);
    // Nothing of the content leaked into what operators see.
    expect(JSON.stringify([failed, page, timeline, deadLetters, again])).not.toContain('Inhaler');
  });
});
