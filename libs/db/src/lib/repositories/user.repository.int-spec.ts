import { randomUUID } from 'node:crypto';
import { openRepositoryTestDatabase, RepositoryTestDatabase } from '../../testing';
import { EmailTakenError, NewUser, UserRepository } from './user.repository';

const newUser = (email: string, overrides: Partial<NewUser> = {}): NewUser => ({
  email,
  displayName: 'Dana',
  role: 'user',
  phone: null,
  passwordHash: 'hash-1',
  ...overrides,
});

describe('UserRepository', () => {
  let db: RepositoryTestDatabase;
  let users: UserRepository;

  beforeAll(async () => {
    db = await openRepositoryTestDatabase('user-repository-spec');
    users = new UserRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('creates a user with a lower-cased email, once per email', async () => {
    const dana = await users.create(newUser('Dana@Example.com', { phone: '+447700900123' }));
    expect(dana).toEqual({
      id: expect.any(String),
      email: 'dana@example.com',
      displayName: 'Dana',
      role: 'user',
      phone: '+447700900123',
      active: true,
      tokenVersion: 0,
      passwordHash: 'hash-1',
      createdAt: expect.any(Date),
    });
    await expect(users.create(newUser('DANA@example.com'))).rejects.toThrow(EmailTakenError);
    expect(await users.emailExists('dana@EXAMPLE.com')).toBe(true);
    expect(await users.emailExists('nobody@example.com')).toBe(false);
    expect(await users.findByEmail(' Dana@example.com ')).toEqual(dana);
    expect(await users.find(dana.id)).toEqual(dana);
    expect(await users.find(randomUUID())).toBeUndefined();
  });

  it('changes only what is given; deactivating or a new role revokes the sessions', async () => {
    const erin = await users.create(newUser('erin@example.com'));
    const renamed = await users.update(erin.id, { displayName: 'Erin B', phone: '+447700900999' });
    expect(renamed).toMatchObject({ displayName: 'Erin B', phone: '+447700900999', role: 'user', active: true, tokenVersion: 0, sessionsRevoked: false });
    expect(await users.update(erin.id, { role: 'user' })).toMatchObject({ tokenVersion: 0, sessionsRevoked: false });
    expect(await users.update(erin.id, { role: 'operator' })).toMatchObject({ role: 'operator', tokenVersion: 1, sessionsRevoked: true });
    expect(await users.update(erin.id, { active: false })).toMatchObject({ active: false, tokenVersion: 2, sessionsRevoked: true });
    expect(await users.update(erin.id, { active: false })).toMatchObject({ tokenVersion: 2, sessionsRevoked: false });
    expect(await users.update(erin.id, { active: true, email: 'Erin@Example.org' })).toMatchObject({
      active: true,
      email: 'erin@example.org',
      tokenVersion: 2,
    });
    await expect(users.update(erin.id, { email: 'dana@example.com' })).rejects.toThrow(EmailTakenError);
    expect(await users.update(randomUUID(), { displayName: 'Nobody' })).toBeUndefined();
  });

  it('bumps the token version, replaces the hash, and reads the session state', async () => {
    const finn = await users.create(newUser('finn@example.com'));
    await users.bumpTokenVersion(finn.id);
    await users.setPasswordHash(finn.id, 'hash-2');
    expect(await users.sessionState(finn.id)).toEqual({
      id: finn.id,
      email: 'finn@example.com',
      displayName: 'Dana',
      role: 'user',
      active: true,
      tokenVersion: 1,
    });
    expect((await users.find(finn.id))?.passwordHash).toBe('hash-2');
    expect(await users.sessionState(randomUUID())).toBeUndefined();
  });

  it('tells which of some ids are active users', async () => {
    const [gail, hal] = [await users.create(newUser('gail@example.com')), await users.create(newUser('hal@example.com'))];
    await users.update(hal.id, { active: false });
    expect(await users.activeIds([gail.id, hal.id, randomUUID()])).toEqual([gail.id]);
  });

  it('lists users newest first, filtered by a search over email and name, role and status, page by page', async () => {
    const tag = randomUUID().slice(0, 8);
    const made = [];
    for (const [i, role] of (['user', 'operator', 'user', 'admin', 'user'] as const).entries()) {
      made.push(await users.create(newUser(`list-${tag}-${i}@example.com`, { role, displayName: i === 2 ? `Nurse 100%_${tag}` : `Listed ${i}` })));
    }
    await users.update(made[4]?.id as string, { active: false });
    const ids = (page: { items: { id: string }[] }) => page.items.map((u) => u.id);
    const newestFirst = made.map((u) => u.id).reverse();

    expect(ids(await users.page({ search: `list-${tag}`, limit: 10 }))).toEqual(newestFirst);
    expect(ids(await users.page({ search: `LIST-${tag}-3`, limit: 10 }))).toEqual([made[3]?.id]);
    expect(ids(await users.page({ search: (made[1]?.id as string).toUpperCase(), limit: 10 }))).toEqual([made[1]?.id]);
    // % and _ are literal characters of the search, not wildcards.
    expect(ids(await users.page({ search: `100%_${tag}`, limit: 10 }))).toEqual([made[2]?.id]);
    expect(ids(await users.page({ search: `100%%${tag}`, limit: 10 }))).toEqual([]);
    expect(ids(await users.page({ search: `list-${tag}`, role: 'user', active: true, limit: 10 }))).toEqual([made[2]?.id, made[0]?.id]);
    expect(ids(await users.page({ search: `list-${tag}`, active: false, limit: 10 }))).toEqual([made[4]?.id]);

    const first = await users.page({ search: `list-${tag}`, limit: 2 });
    const second = await users.page({ search: `list-${tag}`, limit: 2, after: first.next ?? undefined });
    const third = await users.page({ search: `list-${tag}`, limit: 2, after: second.next ?? undefined });
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual(newestFirst);
    expect(third.next).toBeNull();
  });
});
