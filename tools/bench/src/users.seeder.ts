import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { MessagingClient } from '@mq/messaging-client';
import { sql } from '@mq/system-testing';
import { pooledFetch } from './pooled.fetch';
import { mapLimit } from './stats.math';

export interface BenchUser {
  id: string;
  token: string;
}

const INSERT_BATCH = 10_000;
const TOKEN_TTL_SECONDS = 4 * 3600;

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * Where the bench's users come from.
 * - `sql` (with --start): rows inserted directly and HS256 tokens minted with the run's own
 *   JWT_SECRET, exactly what `POST /auth/login` would sign ({sub, role, tv}). Hashing and
 *   verifying 100,000 scrypt passwords would take the api an hour and measure nothing here.
 * - `api` (a remote target): `POST /users` as the admin, then `POST /auth/login`; slow
 *   (two scrypt runs per user on the api), so remote runs keep their user counts small.
 */
export interface UserSource {
  readonly kind: 'sql' | 'api';
  /** Users that can sign in (a token each). */
  users(count: number, label: string): Promise<BenchUser[]>;
  /** Active users that only need to exist (broadcast recipients); returns their ids. */
  recipients(count: number, onProgress?: (done: number) => void): Promise<string[]>;
  client(user: BenchUser): MessagingClient;
}

export class SqlUserSource implements UserSource {
  readonly kind = 'sql';

  constructor(
    private readonly databaseUrl: string,
    private readonly jwtSecret: string,
    private readonly apiUrl: string,
  ) {}

  async users(count: number, label: string): Promise<BenchUser[]> {
    const ids = await this.insert(count, label);
    return ids.map((id) => ({ id, token: this.mint(id) }));
  }

  recipients(count: number, onProgress?: (done: number) => void): Promise<string[]> {
    return this.insert(count, 'parent', onProgress);
  }

  /** Tokens for users inserted earlier (e.g. broadcast recipients that also connect). */
  tokensFor(ids: readonly string[]): BenchUser[] {
    return ids.map((id) => ({ id, token: this.mint(id) }));
  }

  client(user: BenchUser): MessagingClient {
    return new MessagingClient({ baseUrl: this.apiUrl, token: user.token, timeoutMs: 30_000, fetch: pooledFetch });
  }

  private async insert(count: number, label: string, onProgress?: (done: number) => void): Promise<string[]> {
    const all: string[] = [];
    for (let done = 0; done < count; done += INSERT_BATCH) {
      const ids = Array.from({ length: Math.min(INSERT_BATCH, count - done) }, () => randomUUID());
      await sql(
        this.databaseUrl,
        `INSERT INTO users (id, email, display_name, password_hash)
         SELECT id, $2 || '-' || id || '@bench.test', $3, 'bench-no-login' FROM unnest($1::uuid[]) AS t(id)`,
        [ids, label, `Bench ${label}`],
      );
      all.push(...ids);
      onProgress?.(all.length);
    }
    return all;
  }

  private mint(userId: string): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify({ sub: userId, role: 'user', tv: 0, iat: now, exp: now + TOKEN_TTL_SECONDS }));
    const signature = createHmac('sha256', this.jwtSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }
}

export class ApiUserSource implements UserSource {
  readonly kind = 'api';
  private readonly password = `bench-${randomBytes(8).toString('hex')}`;

  constructor(
    private readonly admin: MessagingClient,
    private readonly apiUrl: string,
  ) {}

  async users(count: number, label: string): Promise<BenchUser[]> {
    return mapLimit(Array.from({ length: count }), 4, async () => {
      const { email } = await this.create(label);
      const client = new MessagingClient({ baseUrl: this.apiUrl, timeoutMs: 30_000 });
      const session = await client.login({ email, password: this.password });
      return { id: session.user.id, token: session.accessToken };
    });
  }

  async recipients(count: number, onProgress?: (done: number) => void): Promise<string[]> {
    let done = 0;
    return mapLimit(Array.from({ length: count }), 8, async () => {
      const { id } = await this.create('parent');
      onProgress?.((done += 1));
      return id;
    });
  }

  client(user: BenchUser): MessagingClient {
    return new MessagingClient({ baseUrl: this.apiUrl, token: user.token, timeoutMs: 30_000, fetch: pooledFetch });
  }

  private async create(label: string): Promise<{ id: string; email: string }> {
    const email = `bench-${label}-${randomUUID()}@bench.test`;
    const user = await this.admin.operator.createUser({ email, password: this.password, displayName: `Bench ${label}` });
    return { id: user.id, email };
  }
}
