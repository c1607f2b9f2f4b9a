import { Injectable, Logger } from '@nestjs/common';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { DataSource, EntityManager } from 'typeorm';
import { BatchRepository, ConversationRepository, DeliverySendRepository, FanOutChunk, MessageRepository, SendingBatch } from '@mq/db';
import type { BatchStatus } from '@mq/messaging-contracts';
import { MessageCrypto, OutboxPublisher, RealtimeEmitter, toMessageView } from '@mq/messaging';
import { JOB } from '@mq/queue-contracts';
import { HandledJob, JobHandler } from '@mq/queue';

export interface BatchResult {
  outcome: BatchStatus | 'continued' | 'skipped';
  processed: number;
}

/** A job hands over to a continuation before Bull's 5-minute timeout could cut it mid-chunk. */
const JOB_TIME_BUDGET_MS = 60_000;

/**
 * `batch-send`: fans one stored message out to many recipients, chunk by chunk. Each chunk
 * is one transaction (participants and delivery rows as multi-row inserts, the cursor moved)
 * and one emit to all its recipients' rooms. Pause and cancel are read before every chunk;
 * a crash resumes at the committed cursor, and rows that already exist are not re-sent.
 */
@Injectable()
export class BatchProcessor {
  private readonly logger = new Logger(BatchProcessor.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchRepository,
    private readonly conversations: ConversationRepository,
    private readonly messages: MessageRepository,
    private readonly sends: DeliverySendRepository,
    private readonly crypto: MessageCrypto,
    private readonly realtime: RealtimeEmitter,
    private readonly outbox: OutboxPublisher,
  ) {}

  @JobHandler(JOB.BATCH_SEND)
  async batchSend(job: HandledJob<'batch-send'>): Promise<BatchResult> {
    const { batchId, chunkSize, chunkDelayMs } = job.data;
    const started = Date.now();
    let sentNow = 0;
    let payload: ReturnType<typeof toMessageView> | undefined;
    for (;;) {
      type ChunkOutcome = { done: BatchResult['outcome'] } | { sent: number; batch: SendingBatch };
      const outcome = await this.dataSource.transaction(async (manager): Promise<ChunkOutcome> => {
        const batch = await this.batches.lockForSending(manager, batchId);
        if (!batch) return { done: 'skipped' };
        if (batch.status === 'queued') {
          await this.batches.start(manager, batchId, String(job.id));
        } else if (batch.status !== 'running') {
          return { done: batch.status };
        }
        payload ??= await this.messagePayload(manager, batch.messageId);
        const { recipients, cursor } = await this.nextChunk(manager, batch, chunkSize);
        if (recipients.length === 0) {
          await this.batches.complete(manager, batchId);
          await this.messages.setStatus(manager, batch.messageId, 'sent');
          return { done: 'completed' };
        }
        const written = await this.writeChunk(manager, batch, recipients, String(job.id));
        // Emitted before commit: a crash re-emits this chunk (clients dedupe by id) rather than lose it.
        this.realtime.toUsers(written.sent, SOCKET_EVENTS.MESSAGE_NEW, payload);
        await this.batches.advance(manager, batchId, recipients.length - written.failed, cursor, written.failed);
        return { sent: recipients.length, batch: { ...batch, processed: batch.processed + recipients.length } };
      });
      if ('done' in outcome) {
        await job.progress(outcome.done === 'completed' ? 100 : Number(job.progress()) || 0);
        return { outcome: outcome.done, processed: sentNow };
      }
      sentNow += outcome.sent;
      const { processed, total } = outcome.batch;
      await job.progress(total === 0 ? 100 : Math.min(100, Math.floor((processed / total) * 100)));
      if (Date.now() - started > JOB_TIME_BUDGET_MS) return this.continueLater(job, sentNow);
      if (chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
  }

  private async messagePayload(manager: EntityManager, messageId: string) {
    const message = await this.messages.findOne(messageId, manager);
    if (!message) throw new Error(`The batch's message ${messageId} does not exist`);
    return toMessageView({ ...message, status: 'sent' }, await this.crypto.decrypt(message, manager));
  }

  /** The next recipients after the cursor, in a stable order, and the cursor after them. */
  private async nextChunk(manager: EntityManager, batch: SendingBatch, size: number): Promise<{ recipients: string[]; cursor: string }> {
    if (batch.recipientIds) {
      const offset = Number(batch.cursor ?? 0);
      const recipients = batch.recipientIds.slice(offset, offset + size);
      return { recipients, cursor: String(offset + recipients.length) };
    }
    const recipients = await this.batches.recipientsAfter(manager, batch, size);
    return { recipients, cursor: recipients[recipients.length - 1] ?? batch.cursor ?? '' };
  }

  /**
   * Participants and delivery rows for a chunk, each one multi-row insert; returns who is new and
   * sent to, and how many failed (deactivated since the broadcast started). Those are made
   * participants too, so a retry once they are active again reaches them.
   */
  private async writeChunk(manager: EntityManager, batch: SendingBatch, recipients: string[], jobId: string): Promise<FanOutChunk> {
    if (batch.kind === 'broadcast') await this.conversations.addParticipants(manager, batch.conversationId, recipients);
    return this.sends.insertChunk(manager, batch.messageId, recipients, jobId);
  }

  private async continueLater(job: HandledJob<'batch-send'>, sentNow: number): Promise<BatchResult> {
    const next = await this.dataSource.transaction((manager) =>
      this.outbox.stage(manager, JOB.BATCH_SEND, job.data, { jobId: `batch:${job.data.batchId}:part-${Date.now()}` }),
    );
    await this.outbox.publish([next]);
    this.logger.log({ batchId: job.data.batchId, next: next.jobId }, 'batch continues in a new job');
    return { outcome: 'continued', processed: sentNow };
  }
}
