import { openRepositoryTestDatabase, RepositoryTestDatabase, seedConversation, seedUser } from '../../testing';
import { EncryptionKeyRepository, WrappedKey } from './encryption-key.repository';

describe('EncryptionKeyRepository', () => {
  let db: RepositoryTestDatabase;
  let keys: EncryptionKeyRepository;
  let owner: string;

  const wrapped = (label: string, masterKeyId = 'master-1'): WrappedKey => ({
    wrappedKey: Buffer.from(`key-${label}`),
    wrapIv: Buffer.from(`iv-${label}`),
    wrapTag: Buffer.from(`tag-${label}`),
    masterKeyId,
  });
  const insert = (conversationId: string, version: number, key: WrappedKey): Promise<void> =>
    db.dataSource.transaction((manager) => keys.insert(manager, { conversationId, version, ...key }));
  const statuses = async (conversationId: string): Promise<{ version: number; status: string; retired: boolean }[]> =>
    db.dataSource.query(`SELECT version, status, retired_at IS NOT NULL AS retired FROM encryption_keys WHERE conversation_id = $1 ORDER BY version`, [
      conversationId,
    ]);

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('encryption-key-repository-spec');
    keys = new EncryptionKeyRepository(db.dataSource);
    owner = await seedUser(db.dataSource, 'Owner');
  });
  afterAll(() => db?.close());

  it('stores an active key and finds it, by version or as the active one', async () => {
    const conversation = await seedConversation(db.dataSource, [owner]);
    expect(await keys.findActive(conversation)).toBeNull();
    await insert(conversation, 1, wrapped('one'));

    const active = await keys.findActive(conversation);
    expect(active).toMatchObject({ conversationId: conversation, version: 1, status: 'active', retiredAt: null, ...wrapped('one') });
    expect(active?.createdAt).toBeInstanceOf(Date);
    expect((await keys.find(conversation, 1))?.id).toBe(active?.id);
    expect(await keys.find(conversation, 2)).toBeNull();

    // Inside a transaction, its own uncommitted key is seen.
    await expect(
      db.dataSource.transaction(async (manager) => {
        await keys.insert(manager, { conversationId: conversation, version: 2, ...wrapped('two') });
        expect((await keys.find(conversation, 2, manager))?.wrappedKey).toEqual(Buffer.from('key-two'));
        expect((await keys.findActive(conversation, manager))?.version).toBe(2);
        expect((await keys.findActive(conversation))?.version).toBe(1);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await keys.find(conversation, 2)).toBeNull();
  });

  it('retires the active version, answering the latest version there is', async () => {
    const conversation = await seedConversation(db.dataSource, [owner]);
    expect(await db.dataSource.transaction((manager) => keys.retireActive(manager, conversation))).toBe(0);

    await insert(conversation, 1, wrapped('one'));
    const rotated = await db.dataSource.transaction(async (manager) => {
      const latest = await keys.retireActive(manager, conversation);
      await keys.insert(manager, { conversationId: conversation, version: latest + 1, ...wrapped('two') });
      return latest;
    });
    expect(rotated).toBe(1);
    expect(await statuses(conversation)).toEqual([
      { version: 1, status: 'retired', retired: true },
      { version: 2, status: 'active', retired: false },
    ]);
    expect((await keys.find(conversation, 1))?.retiredAt).toBeInstanceOf(Date);
    expect((await keys.findActive(conversation))?.version).toBe(2);

    expect(await db.dataSource.transaction((manager) => keys.retireActive(manager, conversation))).toBe(2);
    expect(await keys.findActive(conversation)).toBeNull();
    // Already retired: the latest is still answered.
    expect(await db.dataSource.transaction((manager) => keys.retireActive(manager, conversation))).toBe(2);
    expect((await statuses(conversation)).map((s) => s.status)).toEqual(['retired', 'retired']);
  });

  it('locks keys wrapped by another master key, in id order, leaving out the excluded ones, and rewraps them', async () => {
    await db.dataSource.query(`DELETE FROM encryption_keys`);
    const conversations = [
      await seedConversation(db.dataSource, [owner]),
      await seedConversation(db.dataSource, [owner]),
      await seedConversation(db.dataSource, [owner]),
      await seedConversation(db.dataSource, [owner]),
    ];
    await insert(conversations[0] as string, 1, wrapped('a', 'old'));
    await insert(conversations[1] as string, 1, wrapped('b', 'old'));
    await insert(conversations[2] as string, 1, wrapped('c', 'older'));
    await insert(conversations[3] as string, 1, wrapped('d', 'new'));
    const byOld: string[] = ((await db.dataSource.query(`SELECT id FROM encryption_keys WHERE master_key_id <> 'new' ORDER BY id`)) as { id: string }[]).map(
      (r) => r.id,
    );
    expect(byOld).toHaveLength(3);

    const all = await db.dataSource.transaction((manager) => keys.lockWrappedByOther(manager, 'new', [], 10));
    expect(all.map((k) => k.id)).toEqual(byOld);
    expect(all.every((k) => k.masterKeyId !== 'new')).toBe(true);
    expect((await db.dataSource.transaction((manager) => keys.lockWrappedByOther(manager, 'new', [], 2))).map((k) => k.id)).toEqual(byOld.slice(0, 2));
    expect((await db.dataSource.transaction((manager) => keys.lockWrappedByOther(manager, 'new', [byOld[0] as string], 10))).map((k) => k.id)).toEqual(
      byOld.slice(1),
    );
    // A long exclude list goes as one array parameter.
    const many = [...byOld.slice(0, 2), ...Array.from({ length: 70_000 }, () => '00000000-0000-0000-0000-000000000000')];
    expect((await db.dataSource.transaction((manager) => keys.lockWrappedByOther(manager, 'new', many, 10))).map((k) => k.id)).toEqual(byOld.slice(2));

    const firstConversation = await db.dataSource.transaction(async (manager) => {
      const [first] = await keys.lockWrappedByOther(manager, 'new', [], 1);
      expect(first?.id).toBe(byOld[0]);
      // A concurrent rewrap skips the key this one holds.
      const other = await db.dataSource.transaction((otherManager) => keys.lockWrappedByOther(otherManager, 'new', [], 10));
      expect(other.map((k) => k.id)).toEqual(byOld.slice(1));
      await keys.rewrap(manager, first?.id as string, wrapped('a2', 'new'));
      return first?.conversationId as string;
    });
    const rewrapped = await keys.find(firstConversation, 1);
    expect(rewrapped).toMatchObject({ id: byOld[0], ...wrapped('a2', 'new'), status: 'active', version: 1 });
    expect((await db.dataSource.transaction((manager) => keys.lockWrappedByOther(manager, 'new', [], 10))).map((k) => k.id)).toEqual(byOld.slice(1));
  });
});
