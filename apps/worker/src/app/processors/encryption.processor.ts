import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLogRepository, ConversationRepository, DatabaseProbe, MessageRepository } from '@mq/db';
import { ConversationKeyService, DataKey, MessageCrypto, OutboxPublisher } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

export interface RotationResult {
  outcome: 'completed' | 'continued';
  rewrapped: number;
  /** Conversations rotated (skipped ones not included). */
  conversations: number;
  reencrypted: number;
  /**
   * Conversations this job left exactly as they were because rotating them failed (a message
   * or data key that does not decrypt). Per job: a continuation counts only its own.
   */
  skipped: number;
  /** The first SKIPPED_IDS_KEPT of them, in the order met; `skipped` is always the full count. */
  skippedConversationIds: string[];
  /** Data keys left wrapped by an old master key because no configured master key opens them. */
  unreadableKeys: number;
  /** The job that carries on, when this one handed over before its timeout. */
  continuedAs?: string;
}

/** Hand over to a continuation well before the queue's 45 s timeout. */
const JOB_TIME_BUDGET_MS = 30_000;
const CONVERSATIONS_PER_STEP = 20;
/** Longer than the apps' cache of a conversation's active key version (5 s). */
const STRAGGLER_GRACE_MS = 6_000;
/** Keeps the job's stored result small however many conversations fail. */
export const SKIPPED_IDS_KEPT = 1_000;

/**
 * `message-encryption`: key rotation. First every data key is re-wrapped under the current
 * master key (a master-key rotation); then conversation by conversation a new data key
 * version becomes active and the messages are re-encrypted to it, the whole conversation in
 * one transaction: one that cannot be read (a corrupt message, a data key no master key
 * opens) is rolled back, left as it was and named in the result, and the rotation goes on.
 * Old versions stay readable throughout. A retry or a restart simply carries on.
 */
@Injectable()
export class EncryptionProcessor {
  private readonly logger = new Logger(EncryptionProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ConversationKeyService,
    private readonly crypto: MessageCrypto,
    private readonly outbox: OutboxPublisher,
    private readonly auditLog: AuditLogRepository,
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly database: DatabaseProbe,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @JobHandler(JOB.ENCRYPT_DECRYPT)
  async encryptDecrypt(job: HandledJob<'encrypt-decrypt'>): Promise<RotationResult> {
    const started = Date.now();
    const result: RotationResult = {
      outcome: 'completed',
      rewrapped: 0,
      conversations: 0,
      reencrypted: 0,
      skipped: 0,
      skippedConversationIds: [],
      unreadableKeys: 0,
    };
    const skipped = new Set<string>();
    const { rotationId, operation, conversationId } = job.data;
    const attempt = (id: string, step: () => Promise<number>) => this.attempt(rotationId, result, skipped, id, step);

    if (operation === 'reencrypt-conversation') {
      if (conversationId) await attempt(conversationId, () => this.reencrypt(conversationId));
      return this.finish(job, result);
    }
    await this.rewrapAll(rotationId, result);
    if (operation === 'rewrap-keys') return this.finish(job, result);

    // `rotate`: conversations after the cursor (the conversationId of a continuation job).
    const total = await this.conversations.count();
    let cursor = conversationId ?? null;
    for (;;) {
      const batch = await this.conversations.idsAfter(cursor, CONVERSATIONS_PER_STEP);
      if (batch.length === 0) break;
      for (const id of batch) {
        if (await attempt(id, () => this.rotate(id))) result.conversations++;
        cursor = id;
      }
      await job.progress(Math.min(99, Math.floor(((await this.conversations.count(cursor ?? undefined)) / Math.max(1, total)) * 100)));
      if (Date.now() - started > JOB_TIME_BUDGET_MS && cursor) return this.continueAfter(job, cursor, result);
    }
    // Messages sent with a still-cached old version while this ran: wait out the cache, sweep them.
    await new Promise((resolve) => setTimeout(resolve, STRAGGLER_GRACE_MS));
    for (const id of await this.messages.conversationsBehindActiveKey()) {
      // One this job already skipped failed the same way just now: no second try.
      if (!skipped.has(id)) await attempt(id, () => this.reencrypt(id));
    }
    await job.progress(100);
    this.logger.log({ rotationId, ...result }, 'key rotation finished');
    return this.finish(job, result);
  }

  /**
   * Each job's outcome goes to the audit log, so an operator finds the conversations a rotation
   * skipped (ids only) next to who started it, long after the job itself is cleaned from Redis.
   */
  private async finish(job: HandledJob<'encrypt-decrypt'>, result: RotationResult): Promise<RotationResult> {
    const { rotationId, operation } = job.data;
    await this.auditLog.record({
      actorId: null,
      action: `encryption.${operation}.${result.outcome}`,
      target: String(job.id),
      count: result.skipped,
      detail: { rotationId, ...result },
    });
    return result;
  }

  /**
   * Runs one conversation's step (its own transaction). A failure has rolled the conversation
   * back to as it was: it is counted and named, and the job goes on. Unless the database itself
   * is gone, when every conversation would "fail": then the job fails, and is retried.
   */
  private async attempt(rotationId: string, result: RotationResult, skipped: Set<string>, id: string, step: () => Promise<number>): Promise<boolean> {
    try {
      result.reencrypted += await step();
      return true;
    } catch (error) {
      if (!(await this.database.answers())) throw error;
      if (!skipped.has(id)) {
        skipped.add(id);
        result.skipped++;
        if (result.skippedConversationIds.length < SKIPPED_IDS_KEPT) result.skippedConversationIds.push(id);
      }
      // The error names ids only (message, key version, master key id), never content.
      this.logger.warn({ rotationId, conversationId: id, reason: (error as Error).message }, 'key rotation skipped a conversation it cannot read');
      return false;
    }
  }

  /** Re-wraps every data key it can; one no configured master key opens stays as it is, logged. */
  private async rewrapAll(rotationId: string, result: RotationResult): Promise<void> {
    const unreadable: string[] = [];
    for (;;) {
      const step = await this.dataSource.transaction((manager) => this.keys.rewrapStale(manager, 500, unreadable));
      result.rewrapped += step.rewrapped;
      for (const key of step.unreadable) {
        unreadable.push(key.id);
        this.logger.warn(
          { rotationId, keyId: key.id, conversationId: key.conversationId, version: key.version, reason: key.reason },
          'key rotation cannot re-wrap a data key',
        );
      }
      if (step.rewrapped + step.unreadable.length === 0) break;
    }
    result.unreadableKeys = unreadable.length;
  }

  /** A new data key version and every message re-encrypted to it, in one transaction: all or nothing. */
  private async rotate(conversationId: string): Promise<number> {
    const moved = await this.dataSource.transaction(async (manager) =>
      this.reencryptTo(manager, conversationId, await this.keys.rotateKey(manager, conversationId)),
    );
    this.keys.forget(conversationId); // committed: this process encrypts to the new version from now on
    return moved;
  }

  /** Re-encrypts the messages not under the conversation's active key version, in one transaction. */
  private async reencrypt(conversationId: string): Promise<number> {
    this.keys.forget(conversationId);
    return this.dataSource.transaction(async (manager) => this.reencryptTo(manager, conversationId, await this.keys.activeKey(conversationId, manager)));
  }

  /** Within the caller's transaction, a batch at a time: messages under versions older than `key`. */
  private async reencryptTo(manager: EntityManager, conversationId: string, key: DataKey): Promise<number> {
    let total = 0;
    for (;;) {
      const stale = await this.messages.lockUnderOlderKey(manager, conversationId, key.version, this.config.rotationBatchSize);
      for (const message of stale) {
        const content = await this.crypto.decrypt(message, manager);
        const encrypted = this.crypto.encryptWith(key, conversationId, message.id, content);
        await this.messages.replaceEncryption(manager, message.id, message.keyVersion, encrypted);
      }
      total += stale.length;
      if (stale.length < this.config.rotationBatchSize) return total;
    }
  }

  private async continueAfter(job: HandledJob<'encrypt-decrypt'>, cursor: string, result: RotationResult): Promise<RotationResult> {
    const next = await this.dataSource.transaction((manager) =>
      this.outbox.stage(manager, JOB.ENCRYPT_DECRYPT, { rotationId: job.data.rotationId, operation: 'rotate', conversationId: cursor }),
    );
    await this.outbox.publish([next]);
    const handedOver: RotationResult = { ...result, outcome: 'continued', continuedAs: next.jobId };
    this.logger.log({ rotationId: job.data.rotationId, ...handedOver }, 'key rotation continues in another job');
    return this.finish(job, handedOver);
  }
}
