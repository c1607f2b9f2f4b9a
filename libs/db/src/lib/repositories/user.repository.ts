import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UserRole } from '@mq/messaging-contracts';
import { preparedQuery } from '../prepared-query';
import { SqlParams, SqlStatement } from '../sql-statement';
import { KeysetPage, KeysetPageQuery, KeysetPosition, keysetTime, positionBefore, toKeysetPage } from './keyset-page';
import { isUniqueViolation } from './unique-violation';

/** A user as stored, password hash included: never hand it to a client as is. */
export interface UserRow {
  id: string;
  email: string;
  displayName: string;
  role: UserRole;
  phone: string | null;
  active: boolean;
  /** Bumping it revokes every token issued before. */
  tokenVersion: number;
  passwordHash: string;
  createdAt: Date;
}

/** What a request's session is checked against: who the user is now, and which tokens are still theirs. */
export type SessionState = Pick<UserRow, 'id' | 'email' | 'displayName' | 'role' | 'active' | 'tokenVersion'>;

export interface NewUser {
  email: string;
  displayName: string;
  role: UserRole;
  phone: string | null;
  passwordHash: string;
}

/** The fields an operator may change; absent ones stay as they are. */
export interface UserChanges {
  displayName?: string;
  role?: UserRole;
  phone?: string;
  email?: string;
  active?: boolean;
}

/** The users page's filters: a search over email and name (or an id), a role, active or not. */
export interface UserListQuery extends KeysetPageQuery {
  search?: string;
  role?: UserRole;
  active?: boolean;
}

/** Another user has this email (emails are unique, compared lower-cased). */
export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`A user with email ${email} already exists`);
  }
}

const userColumns = (t: string): string => `${t}.id, ${t}.email, ${t}.display_name AS "displayName", ${t}.role, ${t}.phone, ${t}.active,
  ${t}.token_version AS "tokenVersion", ${t}.password_hash AS "passwordHash", ${t}.created_at AS "createdAt"`;

const SESSION_STATE = `SELECT id, email, display_name AS "displayName", role, active, token_version AS "tokenVersion" FROM users WHERE id = $1`;

/** A page of users newest first (idx_users_created_at_id), with only the filters given in the SQL. */
export function usersPageStatement(query: UserListQuery): SqlStatement {
  const p = new SqlParams();
  const where: string[] = [];
  if (query.search) {
    const pattern = p.add(`%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(email ILIKE ${pattern} OR display_name ILIKE ${pattern} OR id::text = lower(${p.add(query.search.trim())}))`);
  }
  if (query.role !== undefined) where.push(`role = ${p.add(query.role)}`);
  if (query.active !== undefined) where.push(`active = ${p.add(query.active)}`);
  where.push(positionBefore('created_at', 'id', p.add(query.after?.at ?? null), p.add(query.after?.id ?? null)));
  return {
    sql: `SELECT ${userColumns('users')}, json_build_object('at', ${keysetTime('created_at')}, 'id', id) AS position
          FROM users WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${p.add(query.limit)}`,
    params: p.values,
  };
}

/** `users`: accounts, their roles and the version that revokes their tokens. */
@Injectable()
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(id: string): Promise<UserRow | undefined> {
    const [row]: UserRow[] = await this.dataSource.query(`SELECT ${userColumns('users')} FROM users WHERE id = $1`, [id]);
    return row;
  }

  /** Newest first, filtered; `search` matches anywhere in the email or the name, case-insensitively, or a user's id exactly. */
  async page(query: UserListQuery): Promise<KeysetPage<UserRow>> {
    const { sql, params } = usersPageStatement(query);
    const rows: (UserRow & { position: KeysetPosition })[] = await this.dataSource.query(sql, [...params]);
    return toKeysetPage(rows, query.limit, ({ position: _, ...row }) => row);
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row]: UserRow[] = await this.dataSource.query(`SELECT ${userColumns('users')} FROM users WHERE email = lower($1)`, [email.trim()]);
    return row;
  }

  /** Read on every request whose session is not cached: a prepared statement. */
  async sessionState(id: string): Promise<SessionState | undefined> {
    const [row] = await preparedQuery<SessionState>(this.dataSource, SESSION_STATE, [id]);
    return row;
  }

  /** Of these ids, the users that exist and are active. */
  async activeIds(ids: readonly string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM users WHERE id = ANY($1::uuid[]) AND active`, [ids]);
    return rows.map((row) => row.id);
  }

  /** Active users other than this one: everyone a broadcast to all reaches. */
  async countActiveExcept(id: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE active AND id <> $1`, [id]);
    return row?.n ?? 0;
  }

  /** Throws EmailTakenError when the email is in use. */
  async create(user: NewUser): Promise<UserRow> {
    try {
      const [row]: UserRow[] = await this.dataSource.query(
        `INSERT INTO users (email, display_name, role, phone, password_hash) VALUES (lower($1), $2, $3, $4, $5) RETURNING ${userColumns('users')}`,
        [user.email, user.displayName, user.role, user.phone, user.passwordHash],
      );
      return row as UserRow;
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError(user.email.toLowerCase());
      throw error;
    }
  }

  async emailExists(email: string): Promise<boolean> {
    const [row]: { exists: boolean }[] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM users WHERE email = lower($1)) AS exists`, [email]);
    return row?.exists ?? false;
  }

  /**
   * Applies the changes in one statement. Deactivating a user or changing their role revokes
   * every token they hold (`sessionsRevoked`). Undefined when there is no such user; throws
   * EmailTakenError when the new email is in use.
   */
  async update(id: string, changes: UserChanges): Promise<(UserRow & { sessionsRevoked: boolean }) | undefined> {
    const revokes = `(($6::boolean IS FALSE AND old.active) OR ($3::text IS NOT NULL AND $3 <> old.role))`;
    try {
      const [rows]: [(UserRow & { sessionsRevoked: boolean })[], number] = await this.dataSource.query(
        `WITH old AS (SELECT id, active, role FROM users WHERE id = $1 FOR UPDATE)
         UPDATE users u SET display_name = COALESCE($2, u.display_name), role = COALESCE($3, u.role), phone = COALESCE($4, u.phone),
           email = COALESCE(lower($5), u.email), active = COALESCE($6, u.active), updated_at = now(),
           token_version = u.token_version + CASE WHEN ${revokes} THEN 1 ELSE 0 END
         FROM old WHERE u.id = old.id
         RETURNING ${userColumns('u')}, ${revokes} AS "sessionsRevoked"`,
        [id, changes.displayName ?? null, changes.role ?? null, changes.phone ?? null, changes.email ?? null, changes.active ?? null],
      );
      return rows[0];
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError((changes.email ?? '').toLowerCase());
      throw error;
    }
  }

  /** Revokes every token the user holds. */
  async bumpTokenVersion(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = $1`, [id]);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.dataSource.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, [id, passwordHash]);
  }
}
