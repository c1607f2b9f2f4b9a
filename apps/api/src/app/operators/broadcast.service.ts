import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import {
  AuditLogRepository,
  BatchListQuery,
  BatchListRow,
  BatchRepository,
  BatchState,
  ConversationRepository,
  KeysetPage,
  MessageRepository,
  UserRepository,
  uuidV7,
} from '@mq/db';
import type { Batch, BatchDetail, BatchStatus, BatchSummary } from '@mq/messaging-contracts';
import { ConversationKeyService, MessageCrypto, OutboxPublisher, StagedJob } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { AuthenticatedUser } from '../auth/auth.types';
import { BroadcastDto } from './broadcast.dto';

const DEFAULT_CHUNK_SIZE = 500;

export function toBatch(row: BatchState): Batch {
  return {
    id: row.id,
    total: row.total,
    processed: row.processed,
    failed: row.failed,
    status: row.status,
    progress: row.total === 0 ? 100 : Math.floor(((row.processed + row.failed) / row.total) * 100),
  };
}

function toBatchSummary(row: BatchListRow): BatchSummary {
  return {
    ...toBatch({ ...row, chunkSize: 0, chunkDelayMs: 0 }),
    kind: row.kind,
    createdBy: row.createdBy,
    createdByName: row.createdByName,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
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
    private readonly batches: BatchRepository,
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly users: UserRepository,
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
      const conversationId = await this.conversations.create(manager, {
        type: 'broadcast',
        title: 'Announcement',
        directKey: null,
        createdBy: admin.id,
        participantIds: [admin.id],
      });
      await this.keys.createKey(manager, conversationId);
      const seq = await this.messages.nextSeq(manager, conversationId);
      const encrypted = await this.crypto.encrypt(conversationId, messageId, input.content, manager);
      await this.messages.insert(manager, {
        id: messageId,
        conversationId,
        seq,
        senderId: admin.id,
        ...encrypted,
        priority: 'normal',
        status: 'queued',
        batchId,
      });
      await this.batches.createBroadcast(manager, {
        id: batchId,
        messageId,
        conversationId,
        createdBy: admin.id,
        allUsers: Boolean(input.allUsers),
        recipientIds: recipientIds ?? null,
        total,
        chunkSize,
        chunkDelayMs,
      });
      return this.outbox.stage(manager, JOB.BATCH_SEND, { batchId, chunkSize, chunkDelayMs });
    });
    await this.outbox.publish([staged]);
    await this.audit.record({ actorId: admin.id, action: 'broadcast.start', target: batchId, count: total });
    return { batchId, jobId: staged.jobId };
  }

  async list(query: BatchListQuery): Promise<KeysetPage<BatchSummary>> {
    const page = await this.batches.page(query);
    return { items: page.items.map(toBatchSummary), next: page.next };
  }

  async get(batchId: string): Promise<Batch> {
    return toBatch(await this.row(batchId));
  }

  async detail(batchId: string): Promise<BatchDetail> {
    const row = await this.batches.detail(batchId);
    if (!row) throw new NotFoundException(`Batch ${batchId} not found`);
    const { messageId, chunkSize, chunkDelayMs, deliveries } = row;
    return { ...toBatchSummary(row), messageId, chunkSize, chunkDelayMs, deliveries };
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
      const resumed = await this.batches.transition(batchId, 'running', ['paused'], manager);
      const row = await this.row(batchId, manager);
      if (!resumed) throw new ConflictException(`Batch ${batchId} is ${row.status}, not paused`);
      return this.outbox.stage(
        manager,
        JOB.BATCH_SEND,
        { batchId, chunkSize: row.chunkSize, chunkDelayMs: row.chunkDelayMs },
        { jobId: `batch:${batchId}:resume-${Date.now()}` },
      );
    });
    await this.outbox.publish([staged]);
    await this.audit.record({ actorId: admin.id, action: 'broadcast.resume', target: batchId });
    return this.get(batchId);
  }

  private async transition(admin: AuthenticatedUser, batchId: string, to: BatchStatus, from: BatchStatus[]): Promise<Batch> {
    const moved = await this.batches.transition(batchId, to, from);
    const row = await this.row(batchId);
    if (!moved) throw new ConflictException(`Batch ${batchId} is ${row.status}; it cannot become ${to}`);
    await this.audit.record({ actorId: admin.id, action: `broadcast.${to === 'paused' ? 'pause' : 'cancel'}`, target: batchId });
    return toBatch(row);
  }

  private async row(batchId: string, manager?: EntityManager): Promise<BatchState> {
    const row = await this.batches.find(batchId, manager);
    if (!row) throw new NotFoundException(`Batch ${batchId} not found`);
    return row;
  }

  private async countRecipients(senderId: string, recipientIds: string[] | undefined): Promise<number> {
    if (!recipientIds) return this.users.countActiveExcept(senderId);
    const n = (await this.users.activeIds(recipientIds)).length;
    if (n !== recipientIds.length) {
      throw new BadRequestException(`${recipientIds.length - n} of the recipientIds are unknown or inactive users`);
    }
    return n;
  }
}
