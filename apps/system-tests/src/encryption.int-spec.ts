import { randomBytes } from 'node:crypto';
import { MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

describe('key rotation', () => {
  const firstKey = randomBytes(32).toString('base64');
  let stack: TestStack;
  let alice: Member;
  const expected = new Map<string, string[]>(); // conversation -> contents in seq order

  beforeAll(async () => {
    stack = await TestStack.start({
      apis: 1,
      env: { MESSAGE_ENCRYPTION_KEY: firstKey, MESSAGE_ENCRYPTION_KEY_ID: 'k1', ENCRYPTION_ROTATION_BATCH_SIZE: '5', SEND_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    const members = (await stack.users(9)) as Member[];
    alice = members[0] as Member;
    for (const [i, peer] of members.slice(1).entries()) {
      const { body: conversation } = await alice.client.createConversation({ type: 'direct', participantIds: [peer.id] });
      const contents = Array.from({ length: 40 }, (_, j) => `conversation ${i} message ${j}`);
      for (const content of contents) await alice.client.sendMessage({ conversationId: conversation.id, content });
      expected.set(conversation.id, contents);
    }
  }, 120_000);

  afterAll(() => stack?.stop());

  async function everyMessageReads(): Promise<void> {
    for (const [conversationId, contents] of expected) {
      const page = await alice.client.listMessages(conversationId, { afterSeq: 0, limit: 200 });
      expect(page.messages.map((m) => m.content)).toEqual(contents);
    }
  }

  const staleMessages = async () =>
    (
      await sql<{ n: number }>(
        stack.database.url,
        `SELECT count(*)::int AS n FROM messages m
         JOIN encryption_keys k ON k.conversation_id = m.conversation_id AND k.status = 'active'
         WHERE m.key_version < k.version`,
      )
    )[0]?.n ?? -1;

  it('finishes after kill -9 of the worker mid-rotation, with every message still decrypting', async () => {
    const admin = await stack.admin();
    const { jobId } = await admin.operator.rotateEncryptionKeys();
    // Mid-rotation: some messages moved to the new key, some not; both must read.
    await eventually(
      async () => {
        const [row] = await sql<{ moved: number; left: number }>(
          stack.database.url,
          `SELECT count(*) FILTER (WHERE key_version > 1)::int AS moved, count(*) FILTER (WHERE key_version = 1)::int AS left FROM messages`,
        );
        return row && row.moved > 0 && row.left > 0 ? true : undefined;
      },
      'the rotation to be under way',
      30_000,
    );
    await everyMessageReads();
    await stack.worker?.kill('SIGKILL');
    await stack.startWorker();

    const unrotated = async () =>
      (await sql<{ n: number }>(stack.database.url, `SELECT count(*)::int AS n FROM encryption_keys WHERE status = 'active' AND version < 2`))[0]?.n;
    await eventually(
      async () => ((await unrotated()) === 0 && (await staleMessages()) === 0 ? true : undefined),
      'every conversation on a new key, every message under it',
      120_000,
    );
    const versions = await sql<{ conversation_id: string; version: number }>(
      stack.database.url,
      `SELECT conversation_id, version FROM encryption_keys WHERE status = 'active'`,
    );
    expect(versions.length).toBeGreaterThanOrEqual(expected.size);
    for (const { version } of versions) expect(version).toBeGreaterThanOrEqual(2);
    await everyMessageReads();
    const first = await admin.operator.getJob(jobId);
    expect(['active', 'completed', 'waiting', 'delayed']).toContain(first.state);
  }, 240_000);

  it('re-wraps every data key under a new master key, after which the old one can go', async () => {
    const secondKey = randomBytes(32).toString('base64');
    await stack.restartAll({ MESSAGE_ENCRYPTION_KEY: secondKey, MESSAGE_ENCRYPTION_KEY_ID: 'k2', MESSAGE_ENCRYPTION_PREVIOUS_KEYS: `k1:${firstKey}` });
    await everyMessageReads(); // data keys still wrapped by k1, readable through the previous key
    const admin = await stack.admin();
    await admin.operator.rotateEncryptionKeys();
    await eventually(
      async () => {
        const [row] = await sql<{ old: number }>(stack.database.url, `SELECT count(*)::int AS old FROM encryption_keys WHERE master_key_id <> 'k2'`);
        return row?.old === 0 ? true : undefined;
      },
      'every data key re-wrapped under k2',
      60_000,
    );
    await eventually(async () => ((await staleMessages()) === 0 ? true : undefined), 'the rotation to finish', 120_000);
    await stack.restartAll({ MESSAGE_ENCRYPTION_PREVIOUS_KEYS: '' });
    await everyMessageReads();
  }, 300_000);
});
