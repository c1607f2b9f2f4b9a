import { randomBytes } from 'node:crypto';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditLogRepository, EmailTakenError, KeysetPage, KeysetPosition, UserRepository, UserRow } from '@mq/db';
import type { PasswordResetResponse, User } from '@mq/messaging-contracts';
import { RealtimeEmitter } from '@mq/messaging';
import { PasswordHasher } from './password.hasher';
import { SessionStateCache } from './session-state.cache';
import { CreateUserDto, UpdateUserDto } from './users.dto';

export interface UserListFilter {
  search?: string;
  role?: User['role'];
  active?: boolean;
  after?: KeysetPosition;
  limit: number;
}

export function toUserView(user: UserRow): User {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    phone: user.phone,
    active: user.active,
    createdAt: user.createdAt.toISOString(),
  };
}

/** A taken email is the client's conflict (409); anything else stays what it was. */
async function conflictOnTakenEmail<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof EmailTakenError ? new ConflictException(error.message) : error;
  }
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly realtime: RealtimeEmitter,
    private readonly sessions: SessionStateCache,
    private readonly audit: AuditLogRepository,
  ) {}

  async list(filter: UserListFilter): Promise<KeysetPage<User>> {
    const page = await this.users.page(filter);
    return { items: page.items.map(toUserView), next: page.next };
  }

  /** Ends every session of the user now: tokens issued before stop working, live sockets are cut on every instance. */
  async revokeSessions(userId: string): Promise<void> {
    await this.users.bumpTokenVersion(userId);
    await this.sessions.refresh(userId);
    this.realtime.disconnectUser(userId);
  }

  async get(id: string): Promise<User> {
    const user = await this.users.find(id);
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return toUserView(user);
  }

  /** `actorId`: the admin creating it, for the audit log (none for the bootstrap admin). */
  async create(input: CreateUserDto, actorId?: string): Promise<User> {
    const passwordHash = await this.hasher.hash(input.password);
    const user = await conflictOnTakenEmail(
      this.users.create({ email: input.email, displayName: input.displayName, role: input.role ?? 'user', phone: input.phone ?? null, passwordHash }),
    );
    if (actorId) await this.audit.record({ actorId, action: 'user.create', target: user.id, detail: { role: user.role } });
    return toUserView(user);
  }

  /** Creates the user unless the email exists; true when it created one. */
  async createIfAbsent(input: CreateUserDto): Promise<boolean> {
    if (await this.users.emailExists(input.email)) return false;
    try {
      await this.create(input);
      return true;
    } catch (error) {
      if (error instanceof ConflictException) return false; // another instance won the race
      throw error;
    }
  }

  /** Deactivating a user or changing their role ends every session they have. Audited with the fields changed. */
  async update(id: string, input: UpdateUserDto, actorId: string): Promise<User> {
    const user = await conflictOnTakenEmail(this.users.update(id, input));
    if (!user) throw new NotFoundException(`User ${id} not found`);
    await this.sessions.refresh(id);
    if (user.sessionsRevoked) this.realtime.disconnectUser(id);
    const detail = {
      fields: Object.keys(input).sort(),
      ...(input.role ? { role: input.role } : {}),
      ...(input.active === undefined ? {} : { active: input.active }),
    };
    await this.audit.record({ actorId, action: 'user.update', target: id, detail });
    return toUserView(user);
  }

  /** A new random password, returned once; every session of the user ends. */
  async resetPassword(id: string, actorId: string): Promise<PasswordResetResponse> {
    if (!(await this.users.find(id))) throw new NotFoundException(`User ${id} not found`);
    const password = randomBytes(12).toString('base64url');
    await this.users.setPasswordHash(id, await this.hasher.hash(password));
    await this.revokeSessions(id);
    await this.audit.record({ actorId, action: 'user.password-reset', target: id });
    return { userId: id, password };
  }
}
