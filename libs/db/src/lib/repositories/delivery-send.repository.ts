import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { NotificationPreferences } from '@mq/messaging-contracts';
import { MessageEntity } from '../entities/message.entity';
import { MESSAGE_COLUMNS, MessageRow, messageFromRow } from '../message-rows.helper';
import { preparedQuery } from '../prepared-query';
import { SqlStatement } from '../sql-statement';

/** A delivery still to send (queued, or failed before), with what decides whether it can go now. */
export interface PendingDelivery {
  messageId: string;
  recipientId: string;
  /** Still a participant of the message's conversation. */
  member: boolean;
  /** The recipient's account is active. */
  active: boolean;
  /** The recipient's notification preferences, if they saved any. */
  preferences: NotificationPreferences | null;
}

/** Why a delivery to a deactivated account is not sent (as the send job says it). */
export const RECIPIENT_INACTIVE = 'recipient account is inactive';

/** What a fan-out chunk wrote: the recipients sent to now, and how many deliveries failed. */
export interface FanOutChunk {
  sent: string[];
  failed: number;
}

/** A delivery that could not be sent on this attempt, and why. */
export interface FailedAttempt {
  messageId: string;
  recipientId: string;
  reason: string;
}

type ClaimRow = MessageRow & {
  recipient_id: string | null;
  member: boolean | null;
  active: boolean | null;
  channels: NotificationPreferences['channels'] | null;
  quiet_hours: NotificationPreferences['quietHours'];
};

/** Messages by id (locked, in id order: no deadlock between jobs sharing messages), each with its deliveries still to send. */
const CLAIM = `
  SELECT ${MESSAGE_COLUMNS.split(', ')
    .map((column) => `m.${column}`)
    .join(', ')},
         q.recipient_id, q.member, q.active, q.channels, q.quiet_hours
  FROM messages m
  LEFT JOIN LATERAL (
    SELECT d.recipient_id, (p.user_id IS NOT NULL AND p.left_at IS NULL) AS member, u.active, np.channels, np.quiet_hours
    FROM message_deliveries d
    JOIN users u ON u.id = d.recipient_id
    LEFT JOIN conversation_participants p ON p.conversation_id = m.conversation_id AND p.user_id = d.recipient_id
    LEFT JOIN notification_preferences np ON np.user_id = d.recipient_id
    WHERE d.message_id = m.id AND d.status IN ('queued', 'failed')
  ) q ON true
  WHERE m.id = ANY($1::uuid[])
  ORDER BY m.id
  FOR UPDATE OF m`;

/**
 * The send side of `message_deliveries` (DeliveryProcessor and BatchProcessor in the worker):
 * claiming messages with the deliveries still to send, and the statements recording an attempt,
 * which run with the attempt's follow-up jobs in one statement (OutboxRepository.stage).
 */
@Injectable()
export class DeliverySendRepository {
  /**
   * The messages, locked inside the caller's transaction (a second run of the same job waits
   * here), with their deliveries still to send: one statement.
   */
  async claim(manager: EntityManager, messageIds: readonly string[]): Promise<{ messages: Map<string, MessageEntity>; pending: PendingDelivery[] }> {
    const rows = await preparedQuery<ClaimRow>(manager, CLAIM, [messageIds]);
    const messages = new Map<string, MessageEntity>();
    const pending: PendingDelivery[] = [];
    for (const row of rows) {
      if (!messages.has(row.id)) messages.set(row.id, messageFromRow(row));
      if (row.recipient_id === null) continue;
      pending.push({
        messageId: row.id,
        recipientId: row.recipient_id,
        member: row.member === true,
        active: row.active === true,
        preferences: row.channels ? { channels: row.channels, quietHours: row.quiet_hours } : null,
      });
    }
    return { messages, pending };
  }

  /** Messages' new statuses; a status already there is not written again. */
  messageStatusesStatement(updates: readonly { messageId: string; status: MessageEntity['status'] }[]): SqlStatement {
    return {
      sql: `UPDATE messages m SET status = s.status FROM unnest($1::uuid[], $2::text[]) AS s(id, status)
            WHERE m.id = s.id AND m.status IS DISTINCT FROM s.status`,
      params: [updates.map((u) => u.messageId), updates.map((u) => u.status)],
    };
  }

  /** Deliveries sent now: only from queued or failed, since a receipt may already have moved one on (never back). */
  markSentStatement(sent: readonly { messageId: string; recipientId: string }[]): SqlStatement {
    return {
      sql: `UPDATE message_deliveries d SET status = 'sent', sent_at = now(), attempts = d.attempts + 1, failure_reason = NULL, updated_at = now()
            FROM unnest($1::uuid[], $2::uuid[]) AS s(message_id, recipient_id)
            WHERE d.message_id = s.message_id AND d.recipient_id = s.recipient_id AND d.status IN ('queued', 'failed')`,
      params: [sent.map((s) => s.messageId), sent.map((s) => s.recipientId)],
    };
  }

  /** Deliveries that could not be sent on this attempt: the reason, and `failed` when it was the last. */
  markAttemptFailedStatement(failed: readonly FailedAttempt[], finalAttempt: boolean): SqlStatement {
    return {
      sql: `UPDATE message_deliveries d SET attempts = d.attempts + 1, failure_reason = f.reason, updated_at = now(),
              status = CASE WHEN $4::boolean THEN 'failed' ELSE d.status END,
              failed_at = CASE WHEN $4::boolean THEN now() ELSE d.failed_at END
            FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS f(message_id, recipient_id, reason)
            -- A receipt recorded since the claim moved it on: never back.
            WHERE d.message_id = f.message_id AND d.recipient_id = f.recipient_id AND d.status IN ('queued', 'failed')`,
      params: [failed.map((f) => f.messageId), failed.map((f) => f.recipientId), failed.map((f) => f.reason), finalAttempt],
    };
  }

  /** Hands deliveries to another job (the one operators then see and retry). */
  reassignStatement(rows: readonly { messageId: string; recipientId: string; jobId: string }[]): SqlStatement {
    return {
      sql: `UPDATE message_deliveries d SET job_id = s.job_id, updated_at = now()
            FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS s(message_id, recipient_id, job_id)
            WHERE d.message_id = s.message_id AND d.recipient_id = s.recipient_id`,
      params: [rows.map((r) => r.messageId), rows.map((r) => r.recipientId), rows.map((r) => r.jobId)],
    };
  }

  /**
   * A fan-out chunk's deliveries, inside the chunk's transaction: written as sent (the emit goes
   * with the commit), but failed for a recipient whose account is inactive, with the reason a
   * direct send gives, so it is listed and retried like any failed delivery. Answers who had no
   * row yet and was sent to (the ones to emit to) and how many were written failed. An id with
   * no user (deleted since) is skipped rather than failing every retry of the chunk.
   */
  async insertChunk(manager: EntityManager, messageId: string, recipientIds: readonly string[], jobId: string): Promise<FanOutChunk> {
    const rows: { recipient_id: string; failed: boolean }[] = await manager.query(
      `INSERT INTO message_deliveries (message_id, recipient_id, status, attempts, job_id, sent_at, failure_reason, failed_at)
       SELECT $1, u.id, CASE WHEN u.active THEN 'sent' ELSE 'failed' END, 1, $3,
              CASE WHEN u.active THEN now() END, CASE WHEN u.active THEN NULL ELSE $4::text END, CASE WHEN u.active THEN NULL ELSE now() END
       FROM users u WHERE u.id = ANY($2::uuid[])
       ON CONFLICT (message_id, recipient_id) DO NOTHING RETURNING recipient_id, status = 'failed' AS failed`,
      [messageId, recipientIds, jobId, RECIPIENT_INACTIVE],
    );
    return { sent: rows.filter((row) => !row.failed).map((row) => row.recipient_id), failed: rows.filter((row) => row.failed).length };
  }
}
