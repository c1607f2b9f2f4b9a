import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { UserEntity } from '@mq/db';
import { RealtimeEmitter } from '@mq/messaging';
import { PasswordHasher } from './password.hasher';
import { SessionStateCache } from './session-state.cache';
import { CreateUserDto, UpdateUserDto } from './users.dto';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: UserEntity['role'];
  phone: string | null;
  active: boolean;
  createdAt: string;
}

export function toUserView(user: UserEntity): UserView {
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

const isUniqueViolation = (error: unknown) =>
  error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: PasswordHasher,
    private readonly realtime: RealtimeEmitter,
    private readonly sessions: SessionStateCache,
  ) {}

  /** Ends every session of the user now: tokens issued before stop working, live sockets are cut on every instance. */
  async revokeSessions(userId: string): Promise<void> {
    await this.users.increment({ id: userId }, 'tokenVersion', 1);
    await this.sessions.refresh(userId);
    this.realtime.disconnectUser(userId);
  }

  async get(id: string): Promise<UserView> {
    const user = await this.users.findOne({ where: { id } });
    if (!user) throw new NotFoundException(`User ${id} not found`);
    return toUserView(user);
  }

  async create(input: CreateUserDto): Promise<UserView> {
    try {
      const user = await this.users.save(
        this.users.create({
          email: input.email,
          displayName: input.displayName,
          role: input.role ?? 'user',
          phone: input.phone ?? null,
          passwordHash: await this.hasher.hash(input.password),
        }),
      );
      return toUserView(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`A user with email ${input.email.toLowerCase()} already exists`);
      throw error;
    }
  }

  /** Creates the user unless the email exists; true when it created one. */
  async createIfAbsent(input: CreateUserDto): Promise<boolean> {
    if (await this.users.exists({ where: { email: input.email.toLowerCase() } })) return false;
    try {
      await this.create(input);
      return true;
    } catch (error) {
      if (error instanceof ConflictException) return false; // another instance won the race
      throw error;
    }
  }

  async update(id: string, input: UpdateUserDto): Promise<UserView> {
    const user = await this.users.findOne({ where: { id } });
    if (!user) throw new NotFoundException(`User ${id} not found`);
    const revoke = (input.active === false && user.active) || (input.role !== undefined && input.role !== user.role);
    Object.assign(user, {
      ...(input.displayName !== undefined && { displayName: input.displayName }),
      ...(input.role !== undefined && { role: input.role }),
      ...(input.phone !== undefined && { phone: input.phone }),
      ...(input.email !== undefined && { email: input.email }),
      ...(input.active !== undefined && { active: input.active }),
      // Deactivating or changing the role ends every session the user has.
      ...(revoke && { tokenVersion: user.tokenVersion + 1 }),
    });
    try {
      const saved = toUserView(await this.users.save(user));
      await this.sessions.refresh(id);
      if (revoke) this.realtime.disconnectUser(id);
      return saved;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`A user with email ${input.email?.toLowerCase()} already exists`);
      throw error;
    }
  }
}
