import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EmailTakenError, UserRepository, UserRow } from '@mq/db';
import type { User } from '@mq/messaging-contracts';
import { RealtimeEmitter } from '@mq/messaging';
import { PasswordHasher } from './password.hasher';
import { SessionStateCache } from './session-state.cache';
import { CreateUserDto, UpdateUserDto } from './users.dto';

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
  ) {}

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

  async create(input: CreateUserDto): Promise<User> {
    const passwordHash = await this.hasher.hash(input.password);
    const user = await conflictOnTakenEmail(
      this.users.create({ email: input.email, displayName: input.displayName, role: input.role ?? 'user', phone: input.phone ?? null, passwordHash }),
    );
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

  /** Deactivating a user or changing their role ends every session they have. */
  async update(id: string, input: UpdateUserDto): Promise<User> {
    const user = await conflictOnTakenEmail(this.users.update(id, input));
    if (!user) throw new NotFoundException(`User ${id} not found`);
    await this.sessions.refresh(id);
    if (user.sessionsRevoked) this.realtime.disconnectUser(id);
    return toUserView(user);
  }
}
