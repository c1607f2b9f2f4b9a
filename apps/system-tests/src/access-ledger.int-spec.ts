import type { LedgerAccess } from '@mq/messaging-contracts';
import { ApiError, MessagingClient } from '@mq/messaging-client';
import { eventually } from '@mq/queue/testing';
import { sql, TestStack } from '@mq/system-testing';

type Member = { id: string; client: MessagingClient };

describe('access ledger: every read of message content is a row of a verifiable chain', () => {
  let stack: TestStack;
  let admin: MessagingClient;
  let adminId: string;
  let alice: Member;
  let bob: Member;
  let carol: Member;
  let conversationId: string;
  let sentIds: string[];

  beforeAll(async () => {
    // Two apis append to one chain; the worker anchors its head every second.
    stack = await TestStack.start({ apis: 2, env: { LEDGER_ANCHOR_INTERVAL_MS: '1000' } });
    admin = await stack.admin();
    adminId = (await admin.me()).id;
    [alice, bob, carol] = (await stack.users(3, 0, 'ledger')) as [Member, Member, Member];
    const { body: conversation } = await alice.client.createConversation({ type: 'group', participantIds: [bob.id, carol.id], title: 'Ledger' });
    conversationId = conversation.id;
    sentIds = [];
    for (const content of ['first words', 'second words']) {
      sentIds.push((await alice.client.sendMessage({ conversationId, content })).body.message.id);
    }
  });

  afterAll(() => stack?.stop());

  const accessesTo = async (subjectId: string): Promise<LedgerAccess[]> => (await admin.operator.listLedgerAccesses({ subjectId, limit: 100 })).accesses;

  it('records a recipient reading history: who, whose messages, which ones, how and from where', async () => {
    const response = await fetch(`${stack.api(1).url}/conversations/${conversationId}/messages?afterSeq=0`, {
      headers: { authorization: `Bearer ${bob.client.token}`, 'user-agent': 'ledger-test-browser/1.0' },
    });
    expect(response.status).toBe(200);
    const [access] = await accessesTo(alice.id);
    expect(access).toEqual({
      seq: expect.stringMatching(/^\d+$/),
      actorId: bob.id,
      subjectIds: [alice.id],
      conversationIds: [conversationId],
      messageIds: sentIds,
      messageCount: 2,
      via: 'history',
      ip: expect.stringMatching(/127\.0\.0\.1|::1/),
      userAgent: 'ledger-test-browser/1.0',
      at: expect.any(String),
    });
    // The ledger holds ids, never the words.
    const rows = await sql<{ row: string }>(stack.database.url, `SELECT row_to_json(l)::text AS row FROM access_ledger l`);
    expect(rows.map((r) => r.row).join('\n')).not.toMatch(/words/);
    // Alice reading her own messages reveals nobody's: a row with no subject.
    await alice.client.listMessages(conversationId);
    expect((await accessesTo(alice.id)).map((a) => a.actorId)).toEqual([bob.id]);
    expect((await admin.operator.listLedgerAccesses({ actorId: alice.id })).accesses).toMatchObject([{ subjectIds: [], via: 'history' }]);
  });

  it('records an export by a member and by an admin who is not one; an outsider gets a 404 and no row', async () => {
    const exported = await carol.client.exportConversation(conversationId);
    expect(exported).toMatchObject({ conversationId, truncated: false });
    expect(exported.messages.map((m) => m.content)).toEqual(['first words', 'second words']);
    expect((await admin.exportConversation(conversationId)).messages).toHaveLength(2);
    const [outsider] = (await stack.users(1, 0, 'outsider')) as [Member];
    await expect(outsider.client.exportConversation(conversationId)).rejects.toMatchObject({ status: 404 } satisfies Partial<ApiError>);
    const exports = (await accessesTo(alice.id)).filter((a) => a.via === 'export');
    expect(exports.map((a) => [a.actorId, a.messageCount])).toEqual([
      [adminId, 2],
      [carol.id, 2],
    ]);
  });

  it('records the conversation list (it shows the last message) and a socket sync', async () => {
    await bob.client.listConversations();
    const socket = carol.client.connect();
    try {
      await socket.ready();
      expect((await socket.sync(conversationId, 1)).map((m) => m.id)).toEqual([sentIds[1]]);
    } finally {
      socket.disconnect();
    }
    const [sync, list] = await accessesTo(alice.id);
    expect(sync).toMatchObject({ actorId: carol.id, via: 'socket-sync', messageIds: [sentIds[1]] });
    expect(list).toMatchObject({ actorId: bob.id, via: 'conversation-list', messageIds: [sentIds[1]] });
  });

  it('exports the accesses to a person as CSV, and audits the export', async () => {
    const response = await fetch(`${stack.api().url}/ledger/accesses.csv?subjectId=${alice.id}`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,at,actor_id,subject_ids,via,conversation_ids,message_count,message_ids,ip,user_agent');
    const accesses = await accessesTo(alice.id);
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 7))).toEqual(
      accesses.map((a) => [a.seq, a.at, a.actorId, alice.id, a.via, conversationId, String(a.messageCount)]),
    );
    expect(lines.find((line) => line.includes('ledger-test-browser/1.0'))).toContain(`${bob.id},${alice.id},history`);
    const audit = await sql<{ actor_id: string; target: string }>(
      stack.database.url,
      `SELECT actor_id, target FROM audit_log WHERE action LIKE 'ledger.export'`,
    );
    expect(audit).toEqual([{ actor_id: adminId, target: alice.id }]);
    // Non-admins see none of it.
    await expect(bob.client.operator.listLedgerAccesses({ subjectId: alice.id })).rejects.toMatchObject({ status: 403 });
    await expect(bob.client.operator.verifyLedger()).rejects.toMatchObject({ status: 403 });
  });

  it('anchors the chain head in the audit log, and verifies the chain', async () => {
    const [head] = await sql<{ seq: string; hash: string }>(stack.database.url, `SELECT seq::text AS seq, encode(hash, 'hex') AS hash FROM access_ledger_head`);
    const anchor = await eventually(async () => {
      const rows = await sql<{ detail: { seq: string; hash: string } }>(
        stack.database.url,
        `SELECT detail FROM audit_log WHERE action = 'ledger.anchor' AND target = $1`,
        [head?.seq],
      );
      return rows[0];
    }, 'the worker to anchor the head');
    expect(anchor.detail).toEqual({ seq: head?.seq, hash: head?.hash });
    expect(await admin.operator.verifyLedger()).toEqual({ ok: true, rowsChecked: Number(head?.seq) });
  });

  it('does not count a deleted message as read: its tombstone reveals nothing', async () => {
    await alice.client.deleteMessage(sentIds[0] as string);
    await bob.client.listMessages(conversationId);
    const [latest] = await accessesTo(alice.id);
    expect(latest).toMatchObject({ actorId: bob.id, via: 'history', messageIds: [sentIds[1]], messageCount: 1 });
  });

  it('names the first altered row once a superuser has bypassed the append-only trigger', async () => {
    await expect(sql(stack.database.directUrl, `UPDATE access_ledger SET actor_id = $1 WHERE seq = 2`, [carol.id])).rejects.toThrow(/append-only/);
    await sql(
      stack.database.directUrl,
      `BEGIN; SET LOCAL session_replication_role = replica; UPDATE access_ledger SET message_ids = message_ids[1:1] WHERE seq = 2; COMMIT;`,
    );
    expect(await admin.operator.verifyLedger()).toEqual({
      ok: false,
      rowsChecked: 2,
      firstBrokenSeq: '2',
      reason: 'its hash does not match its fields: the row was altered',
    });
  });
});
