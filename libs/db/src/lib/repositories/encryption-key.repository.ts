import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EncryptionKeyEntity } from '../entities/encryption-key.entity';

/** A data key as wrapped by a master key. */
export type WrappedKey = Pick<EncryptionKeyEntity, 'wrappedKey' | 'wrapIv' | 'wrapTag' | 'masterKeyId'>;

/** `encryption_keys`: conversations' data keys, versioned, stored only wrapped (ConversationKeyService in libs/messaging wraps and unwraps). */
@Injectable()
export class EncryptionKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** An active key version, inside the caller's transaction (the one creating the conversation, or a rotation). */
  async insert(manager: EntityManager, key: { conversationId: string; version: number } & WrappedKey): Promise<void> {
    await manager.insert(EncryptionKeyEntity, { ...key, status: 'active' });
  }

  async findActive(conversationId: string, manager: EntityManager = this.dataSource.manager): Promise<EncryptionKeyEntity | null> {
    return manager.findOne(EncryptionKeyEntity, { where: { conversationId, status: 'active' }, order: { version: 'DESC' } });
  }

  async find(conversationId: string, version: number, manager: EntityManager = this.dataSource.manager): Promise<EncryptionKeyEntity | null> {
    return manager.findOne(EncryptionKeyEntity, { where: { conversationId, version } });
  }

  /** Retires the conversation's active version, inside the rotation's transaction; returns the latest version there is (0: none). */
  async retireActive(manager: EntityManager, conversationId: string): Promise<number> {
    const [{ latest }] = (await manager.query(`SELECT COALESCE(max(version), 0)::int AS latest FROM encryption_keys WHERE conversation_id = $1`, [
      conversationId,
    ])) as [{ latest: number }];
    await manager.update(EncryptionKeyEntity, { conversationId, status: 'active' }, { status: 'retired', retiredAt: () => 'now()' });
    return latest;
  }

  /**
   * Up to `limit` keys not wrapped by `masterKeyId`, in id order, locked (concurrent rewraps
   * skip each other's), leaving out the ids in `exclude`.
   */
  async lockWrappedByOther(manager: EntityManager, masterKeyId: string, exclude: readonly string[], limit: number): Promise<EncryptionKeyEntity[]> {
    return (
      manager
        .createQueryBuilder(EncryptionKeyEntity, 'k')
        .where('k.master_key_id <> :current', { current: masterKeyId })
        // One array parameter: the list may outgrow Postgres' limit on separate parameters.
        .andWhere('k.id <> ALL(CAST(:exclude AS uuid[]))', { exclude: [...exclude] })
        .orderBy('k.id')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany()
    );
  }

  async rewrap(manager: EntityManager, id: string, wrapped: WrappedKey): Promise<void> {
    await manager.update(EncryptionKeyEntity, { id }, wrapped);
  }
}
