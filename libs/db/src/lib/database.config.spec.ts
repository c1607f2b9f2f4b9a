import { DEFAULT_DEV_DATABASE_URL, databaseEnvSchema, databaseEnvSchemaFor, toDatabaseConfig } from './database.config';

function messages(result: { success: boolean; error?: { issues: { message: string }[] } }): string[] {
  return result.error?.issues.map((issue) => issue.message) ?? [];
}

describe('databaseEnvSchemaFor', () => {
  const dev = databaseEnvSchemaFor('development');
  const prod = databaseEnvSchemaFor('production');

  it.each(['postgres://postgres@127.0.0.1:5432/mq', 'postgresql://app:s3cret@db.internal:6543/mq_prod?sslmode=require', 'postgres://app@db/mq-staging'])(
    'accepts %s',
    (url) => {
      const parsed = prod.parse({ DATABASE_URL: url, DB_POOL_SIZE: '25' });
      expect(parsed).toEqual({ DATABASE_URL: url, DB_POOL_SIZE: 25, DATABASE_POOL_MODE: 'session' });
    },
  );

  it.each([
    ['not a url', /DATABASE_URL must be a postgres:\/\/ URL with a database name.*not a URL/],
    ['mysql://root@127.0.0.1:3306/mq', /DATABASE_URL must be a postgres:\/\/ URL.*protocol is mysql:/],
    ['postgres://127.0.0.1:5432', /DATABASE_URL must be a postgres:\/\/ URL.*database name is missing/],
    ['postgres://127.0.0.1:5432/', /DATABASE_URL .*database name is missing/],
    ['postgres:///mq', /DATABASE_URL .*host is missing/],
    ['postgres://127.0.0.1/mq;drop', /DATABASE_URL .*database name must be/],
  ])('rejects %s, naming DATABASE_URL', (url, message) => {
    const result = dev.safeParse({ DATABASE_URL: url });
    expect(result.success).toBe(false);
    expect(messages(result)).toEqual([expect.stringMatching(message)]);
  });

  it('never echoes the rejected value, which may hold a password', () => {
    const result = dev.safeParse({ DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/mq' });
    expect(messages(result).join(' ')).not.toContain('hunter2');
  });

  it('defaults the URL and pool size outside production', () => {
    expect(dev.parse({})).toEqual({ DATABASE_URL: DEFAULT_DEV_DATABASE_URL, DB_POOL_SIZE: 20, DATABASE_POOL_MODE: 'session' });
    expect(databaseEnvSchemaFor(undefined).parse({ DATABASE_URL: '' }).DATABASE_URL).toBe(DEFAULT_DEV_DATABASE_URL);
  });

  it('requires DATABASE_URL in production', () => {
    for (const env of [{}, { DATABASE_URL: '' }]) {
      const result = prod.safeParse(env);
      expect(messages(result)).toEqual([expect.stringMatching(/^DATABASE_URL is required in production/)]);
    }
    expect(databaseEnvSchema.safeParse({}).success).toBe(false);
  });

  it.each(['0', '201', '2.5', 'ten'])('rejects DB_POOL_SIZE=%s with a message naming it', (size) => {
    const result = dev.safeParse({ DB_POOL_SIZE: size });
    expect(messages(result)).toEqual(['DB_POOL_SIZE must be an integer from 1 to 200']);
  });

  it('takes a transaction pooler and a direct URL for migrations', () => {
    const env = prod.parse({
      DATABASE_URL: 'postgres://app@pgbouncer:6432/mq',
      DATABASE_POOL_MODE: 'transaction',
      DATABASE_DIRECT_URL: 'postgres://app@db:5432/mq',
    });
    expect(toDatabaseConfig(env)).toEqual({
      url: 'postgres://app@pgbouncer:6432/mq',
      directUrl: 'postgres://app@db:5432/mq',
      poolSize: 20,
      poolMode: 'transaction',
    });
  });

  it('migrates through DATABASE_URL when no direct URL is given', () => {
    expect(toDatabaseConfig(dev.parse({ DATABASE_DIRECT_URL: '' })).directUrl).toBe(DEFAULT_DEV_DATABASE_URL);
  });

  it('rejects an unknown pool mode and a malformed direct URL, naming each variable', () => {
    const result = dev.safeParse({ DATABASE_POOL_MODE: 'statement', DATABASE_DIRECT_URL: 'mysql://root:hunter2@db/mq' });
    expect(messages(result)).toEqual([
      'DATABASE_POOL_MODE must be one of: session, transaction',
      expect.stringMatching(/^DATABASE_DIRECT_URL must be a postgres:\/\/ URL.*protocol is mysql:/),
    ]);
    expect(messages(result).join(' ')).not.toContain('hunter2');
  });
});
