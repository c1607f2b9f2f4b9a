import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, ValueTransformer } from 'typeorm';
import { USER_ROLES, type UserRole } from '@mq/messaging-contracts';
import { enumCheck } from '../enum-check.helper';

/** Emails are compared case-insensitively by storing (and looking them up) lower-cased. */
const lowerCaseTransformer: ValueTransformer = {
  to: (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value),
  from: (value: unknown): unknown => value,
};

@Entity({ name: 'users' })
@Check('chk_users_role', enumCheck('role', USER_ROLES))
// The unique constraint is only case-insensitive if nothing writes a mixed-case email.
@Check('chk_users_email_lower_case', `"email" = lower("email")`)
// The console's list, newest first (read backwards).
@Index('idx_users_created_at_id', ['createdAt', 'id'])
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true, transformer: lowerCaseTransformer })
  email!: string;

  @Column({ type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  passwordHash!: string;

  @Column({ type: 'text', default: 'user' })
  role!: UserRole;

  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** Bumped to revoke every token issued before. */
  @Column({ type: 'int', default: 0 })
  tokenVersion!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
