import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessageEntity } from '@mq/db';
import { ConversationKeyService, MessageCrypto, OutboxPublisher } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

export interface RotationResult {
  outcome: 'completed' | 'continued';
  rewrapped: number;
  conversations: number;
  reencrypted: number;
  /** The job that carries on, when this one handed over before its timeout. */
  continuedAs?: string;
}

/** Hand over to a continuation well before the queue's 45 s timeout. */
const JOB_TIME_BUDGET_MS = 30_000;
const CONVERSATIONS_PER_STEP = 20;
/** Longer than the apps' cache of a conversation's active key version (5 s). */
const STRAGGLER_GRACE_MS = 6_000;

/**
 * `message-encryption`: key rotation. First every data key is re-wrapped under the current
 * master key (a master-key rotation); then conversation by conversation a new data key
 * version becomes active and the messages are re-encrypted to it, a batch per transaction
 * (each row is replaced whole, so a crash never leaves one half-written). Old versions stay
 * readable throughout. Every step is idempotent: a retry or a restart simply carries on.
 */
@Injectable()
export class EncryptionProcessor {
  private readonly logger = new Logger(EncryptionProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ConversationKeyService,
    private readonly crypto: MessageCrypto,
    private readonly outbox: OutboxPublisher,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @JobHandler(JOB.ENCRYPT_DECRYPT)
  async encryptDecrypt(job: HandledJob<'encrypt-decrypt'>): Promise<RotationResult> {
    const started = Date.now();
    const result: RotationResult = { outcome: 'completed', rewrapped: 0, conversations: 0, reencrypted: 0 };
    const { operation, conversationId } = job.data;

    if (operation === 'reencrypt-conversation') {
      if (conversationId) result.reencrypted = await this.reencrypt(conversationId);
      return result;
    }
    result.rewrapped = await this.rewrapAll();
    if (operation === 'rewrap-keys') return result;

    // `rotate`: conversations after the cursor (the conversationId of a continuation job).
    const total = await this.countConversations();
    let cursor = conversationId ?? null;
    for (;;) {
      const batch: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM conversations WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
        [cursor, CONVERSATIONS_PER_STEP],
      );
      if (batch.length === 0) break;
      for (const { id } of batch) {
        await this.dataSource.transaction((manager) => this.keys.rotateKey(manager, id));
        result.reencrypted += await this.reencrypt(id);
        result.conversations++;
        cursor = id;
      }
      await job.progress(Math.min(99, Math.floor((await this.countConversations(cursor ?? undefined)) / Math.max(1, total) * 100)));
      if (Date.now() - started > JOB_TIME_BUDGET_MS && cursor) return this.continueAfter(job, cursor, result);
    }
    // Messages sent with a still-cached old version while this ran: wait out the cache, sweep them.
    await new Promise((resolve) => setTimeout(resolve, STRAGGLER_GRACE_MS));
    result.reencrypted += await this.sweepStragglers();
    await job.progress(100);
    this.logger.log({ rotationId: job.data.rotationId, ...result }, 'key rotation finished');
    return result;
  }

  private async rewrapAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.dataSource.transaction((manager) => this.keys.rewrapStale(manager, 500));
      total += done;
      if (done === 0) return total;
    }
  }

  /** Re-encrypts a conversation's messages that are not under its active key version, a batch per transaction. */
  private async reencrypt(conversationId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.dataSource.transaction(async (manager) => {
        const active = await this.keys.activeKey(conversationId, manager);
        const stale = await manager
          .createQueryBuilder(MessageEntity, 'm')
          .where('m.conversation_id = :conversationId AND m.key_version < :version', { conversationId, version: active.version })
          .orderBy('m.id')
          .limit(this.config.rotationBatchSize)
          .setLock('pessimistic_write')
          .getMany();
        for (const message of stale) {
          const content = await this.crypto.decrypt(message, manager);
          const encrypted = this.crypto.encryptWith(active, conversationId, message.id, content);
          await manager.update(MessageEntity, { id: message.id, keyVersion: message.keyVersion }, encrypted);
        }
        return stale.length;
      });
      total += done;
      if (done < this.config.rotationBatchSize) return total;
    }
  }

  private async sweepStragglers(): Promise<number> {
    const rows: { conversation_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT m.conversation_id FROM messages m
       JOIN encryption_keys k ON k.conversation_id = m.conversation_id AND k.status = 'active'
       WHERE m.key_version < k.version`,
    );
    let total = 0;
    for (const { conversation_id } of rows) {
      this.keys.forget(conversation_id);
      total += await this.reencrypt(conversation_id);
    }
    return total;
  }

  private async countConversations(upTo?: string): Promise<number> {
    const [{ n }] = (await this.dataSource.query(
      `SELECT count(*)::int AS n FROM conversations WHERE ($1::uuid IS NULL OR id <= $1::uuid)`,
      [upTo ?? null],
    )) as [{ n: number }];
    return n;
  }

  private async continueAfter(job: HandledJob<'encrypt-decrypt'>, cursor: string, result: RotationResult): Promise<RotationResult> {
    const next = await this.dataSource.transaction((manager) =>
      this.outbox.stage(manager, JOB.ENCRYPT_DECRYPT, { rotationId: job.data.rotationId, operation: 'rotate', conversationId: cursor }),
    );
    await this.outbox.publish([next]);
    return { ...result, outcome: 'continued', continuedAs: next.jobId };
  }
}
