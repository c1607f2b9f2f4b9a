import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditLogRepository, MessageEntity, allocateMessageSeq, uuidV7 } from '@mq/db';
import type { Batch, BatchStatus } from '@mq/messaging-contracts';
import { ConversationKeyService, MessageCrypto, OutboxPublisher, StagedJob } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { AuthenticatedUser } from '../auth/auth.types';
import { BroadcastDto } from './broadcast.dto';

const DEFAULT_CHUNK_SIZE = 500;

interface BatchRow {
  id: string;
  total: number;
  processed: number;
  failed: number;
  status: BatchStatus;
  chunk_size: number;
  chunk_delay_ms: number;
}

export function toBatch(row: BatchRow): Batch {
  return {
    id: row.id,
    total: row.total,
    processed: row.processed,
    failed: row.failed,
    status: row.status,
    progress: row.total === 0 ? 100 : Math.floor(((row.processed + row.failed) / row.total) * 100),
  };
}

/**
 * Broadcasts: one message, stored once (encrypted) in a broadcast conversation, fanned out to
 * its recipients by the `batch-send` job in chunks, with progress, pause, resume and cancel.
 */
@Injectable()
export class BroadcastService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: ConversationKeyService,
    private readonly crypto: MessageCrypto,
    private readonly outbox: OutboxPublisher,
    private readonly audit: AuditLogRepository,
  ) {}

  async start(admin: AuthenticatedUser, input: BroadcastDto): Promise<{ batchId: string; jobId: string }> {
    if (Boolean(input.allUsers) === Boolean(input.recipientIds)) {
      throw new BadRequestException('Give either recipientIds or allUsers: true');
    }
    const recipientIds = input.recipientIds?.filter((id) => id !== admin.id);
    const total = await this.countRecipients(admin.id, recipientIds);
    const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const chunkDelayMs = input.chunkDelay ?? 0;
    const batchId = randomUUID();
    const messageId = uuidV7();
    const staged: StagedJob = await this.dataSource.transaction(async (manager) => {
      const [conversation] = (await manager.query(
        `INSERT INTO conversations (type, title, created_by) VALUES ('broadcast', 'Announcement', $1) RETURNING id`,
        [admin.id],
      )) as { id: string }[];
      const conversationId = (conversation as { id: string }).id;
      await manager.query(`INSERT INTO conversation_participants (conversation_id, user_id) VALUES ($1, $2)`, [conversationId, admin.id]);
      await this.keys.createKey(manager, conversationId);
      const seq = await allocateMessageSeq(manager, conversationId);
      const encrypted = await this.crypto.encrypt(conversationId, messageId, input.content, manager);
      await manager.insert(MessageEntity, {
        id: messageId,
        conversationId,
        seq,
        senderId: admin.id,
        ...encrypted,
        priority: 'normal',
        status: 'queued',
        batchId,
      });
      await manager.query(
        `INSERT INTO batches (id, kind, message_id, conversation_id, created_by, all_users, recipient_ids, total, status, chunk_size, chunk_delay_ms)
         VALUES ($1, 'broadcast', $2, $3, $4, $5, $6, $7, 'queued', $8, $9)`,
        [batchId, messageId, conversationId, admin.id, Boolean(input.allUsers), recipientIds ?? null, total, chunkSize, chunkDelayMs],
      );
      return this.outbox.stage(manager, JOB.BATCH_SEND, { batchId, chunkSize, chunkDelayMs });
    });
    await this.outbox.publish([staged]);
    await this.audit.record({ actorId: admin.id, action: 'broadcast.start', target: batchId, count: total });
    return { batchId, jobId: staged.jobId };
  }

  async get(batchId: string): Promise<Batch> {
    return toBatch(await this.row(batchId));
  }

  async pause(admin: AuthenticatedUser, batchId: string): Promise<Batch> {
    return this.transition(admin, batchId, 'paused', ['queued', 'running']);
  }

  async cancel(admin: AuthenticatedUser, batchId: string): Promise<Batch> {
    return this.transition(admin, batchId, 'cancelled', ['queued', 'running', 'paused']);
  }

  /** Resumes from where it stopped: a continuation job picks up at the batch's cursor. */
  async resume(admin: AuthenticatedUser, batchId: string): Promise<Batch> {
    const staged = await this.dataSource.transaction(async (manager) => {
      const [, changed] = (await manager.query(`UPDATE batches SET status = 'running', updated_at = now() WHERE id = $1 AND status = 'paused'`, [
        batchId,
      ])) as [unknown, number];
      const row = await this.row(batchId, manager);
      if (changed === 0) throw new ConflictException(`Batch ${batchId} is ${row.status}, not paused`);
      return this.outbox.stage(
        manager,
        JOB.BATCH_SEND,
        { batchId, chunkSize: row.chunk_size, chunkDelayMs: row.chunk_delay_ms },
        { jobId: `batch:${batchId}:resume-${Date.now()}` },
      );
    });
    await this.outbox.publish([staged]);
    await this.audit.record({ actorId: admin.id, action: 'broadcast.resume', target: batchId });
    return this.get(batchId);
  }

  private async transition(admin: AuthenticatedUser, batchId: string, to: BatchStatus, from: BatchStatus[]): Promise<Batch> {
    const [, changed] = (await this.dataSource.query(`UPDATE batches SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3)`, [
      batchId,
      to,
      from,
    ])) as [unknown, number];
    const row = await this.row(batchId);
    if (changed === 0) throw new ConflictException(`Batch ${batchId} is ${row.status}; it cannot become ${to}`);
    await this.audit.record({ actorId: admin.id, action: `broadcast.${to === 'paused' ? 'pause' : 'cancel'}`, target: batchId });
    return toBatch(row);
  }

  private async row(batchId: string, manager = this.dataSource.manager): Promise<BatchRow> {
    const [row] = (await manager.query(
      `SELECT id, total, processed, failed, status, chunk_size, chunk_delay_ms FROM batches WHERE id = $1`,
      [batchId],
    )) as BatchRow[];
    if (!row) throw new NotFoundException(`Batch ${batchId} not found`);
    return row;
  }

  private async countRecipients(senderId: string, recipientIds: string[] | undefined): Promise<number> {
    if (!recipientIds) {
      const [{ n }] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE active AND id <> $1`, [senderId])) as [{ n: number }];
      return n;
    }
    const [{ n }] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE active AND id = ANY($1::uuid[])`, [
      recipientIds,
    ])) as [{ n: number }];
    if (n !== recipientIds.length) {
      throw new BadRequestException(`${recipientIds.length - n} of the recipientIds are unknown or inactive users`);
    }
    return n;
  }
}
