import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppNotification, NotificationChannel, NotificationStatus, ProviderStatus } from '@mq/messaging-contracts';

/** A notification about to go out; the dedupe key (its job's id) makes a rerun find the same row. */
export interface NewNotification {
  userId: string;
  messageId: string | null;
  channel: NotificationChannel;
  title: string;
  body: string;
  dedupeKey: string;
  /** The notification this one replaces on the next channel. */
  fallbackOf?: string | null;
}

/** How a provider's report names the notification: our id (VERP, push) or the provider's (Twilio MessageSid, Message-ID). */
export type FeedbackTarget = { id: string } | { channel: NotificationChannel; providerId: string };

/** A notification whose provider status just changed. */
export interface FedBackNotification {
  id: string;
  userId: string;
  messageId: string | null;
  channel: NotificationChannel;
  providerStatus: ProviderStatus;
  /** True when the row already had this status: nothing changed. */
  repeated?: boolean;
}

/** What a fallback notification repeats of the one it replaces, and whether it is still wanted. */
export interface FallbackSource {
  userId: string;
  messageId: string | null;
  channel: NotificationChannel;
  title: string;
  body: string;
  providerStatus: ProviderStatus | null;
  /** The notification, or the message it is about, was read. */
  read: boolean;
  /** Another notification of the same user about the same message (or this one) was delivered. */
  deliveredElsewhere: boolean;
  conversationId: string | null;
}

/** What a notification about one message may say: who wrote and where, never what. */
export interface NotifiedMessage {
  conversationId: string;
  conversationTitle: string | null;
  sender: string;
  deleted: boolean;
  /** The recipient's delivery status; null when they are not a recipient. */
  deliveryStatus: string | null;
}

/** The recipient's unread messages of one conversation from a message on. */
export interface UnreadRun {
  count: number;
  firstMessageId: string;
  firstSender: string | null;
  conversationTitle: string | null;
}

/** `notifications`: what was sent, or not, to a user on each channel. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first. */
  async listForUser(userId: string, options: { unreadOnly: boolean; limit: number }): Promise<AppNotification[]> {
    const rows: (Omit<AppNotification, 'createdAt' | 'readAt'> & { createdAt: Date; readAt: Date | null })[] = await this.dataSource.query(
      `SELECT id, channel, status, title, body, message_id AS "messageId", created_at AS "createdAt", read_at AS "readAt"
       FROM notifications WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [userId, options.unreadOnly, options.limit],
    );
    return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString(), readAt: row.readAt?.toISOString() ?? null }));
  }

  /** Keeps the first time it was read. Returns false when the user has no such notification. */
  async markRead(id: string, userId: string): Promise<boolean> {
    const [, changed]: [unknown, number] = await this.dataSource.query(
      `UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return changed > 0;
  }

  /**
   * The row of this dedupe key, written now as pending or (a rerun) counted one attempt more.
   * A rerun after a success finds it `sent`.
   */
  async open(notification: NewNotification): Promise<{ id: string; status: NotificationStatus }> {
    const [row]: { id: string; status: NotificationStatus }[] = await this.dataSource.query(
      `INSERT INTO notifications (user_id, message_id, channel, status, title, body, dedupe_key, attempts, fallback_of)
       VALUES ($1, $2, $3, 'pending', $4, $5, $6, 1, $7)
       ON CONFLICT (dedupe_key) DO UPDATE SET attempts = notifications.attempts + 1
       RETURNING id, status`,
      [
        notification.userId,
        notification.messageId,
        notification.channel,
        notification.title,
        notification.body,
        notification.dedupeKey,
        notification.fallbackOf ?? null,
      ],
    );
    if (!row) throw new Error('notification row was not written');
    return row;
  }

  /** With the provider's id of what went out (Twilio MessageSid, Message-ID), so its later reports find the row. */
  async markSent(id: string, providerId?: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE notifications SET status = 'sent', sent_at = now(), error = NULL, provider_id = COALESCE($2, provider_id) WHERE id = $1`,
      [id, providerId ?? null],
    );
  }

  /**
   * Records a provider's report. The first failure (bounced, complained, undelivered) wins; a
   * late `delivered` never hides one, and only an email's delivery (the receiving server took
   * it) can still turn into a bounce. Undefined when no row matches or a different report is
   * already recorded; `repeated` when this very status was.
   */
  async recordProviderStatus(target: FeedbackTarget, status: ProviderStatus, detail: string | null): Promise<FedBackNotification | undefined> {
    const byId = 'id' in target;
    const match = byId ? 'id = $1::uuid' : 'channel = $1 AND provider_id = $4';
    const params = byId ? [target.id, status, detail] : [target.channel, status, detail, target.providerId];
    const returning = `RETURNING id, user_id AS "userId", message_id AS "messageId", channel, provider_status AS "providerStatus"`;
    // An UPDATE answers [rows, count].
    const [updated]: [FedBackNotification[], number] = await this.dataSource.query(
      `UPDATE notifications SET provider_status = $2, provider_detail = $3, provider_status_at = now()
       WHERE ${match} AND (provider_status IS NULL OR (provider_status = 'delivered' AND $2 <> 'delivered' AND channel = 'email'))
       ${returning}`,
      params,
    );
    const changed = updated[0];
    if (changed) return { ...changed, repeated: false };
    // The same report again (a provider retrying its webhook): the caller may finish what the first one started.
    const [same]: FedBackNotification[] = await this.dataSource.query(
      `SELECT id, user_id AS "userId", message_id AS "messageId", channel, provider_status AS "providerStatus"
       FROM notifications WHERE ${byId ? 'id = $1::uuid' : 'channel = $1 AND provider_id = $3'} AND provider_status = $2`,
      byId ? [target.id, status] : [target.channel, status, target.providerId],
    );
    return same && { ...same, repeated: true };
  }

  /** Undefined when there is no such notification. */
  async fallbackSource(id: string): Promise<FallbackSource | undefined> {
    const [row]: FallbackSource[] = await this.dataSource.query(
      `SELECT n.user_id AS "userId", n.message_id AS "messageId", n.channel, n.title, n.body, n.provider_status AS "providerStatus",
              (n.read_at IS NOT NULL OR d.status = 'read') AS read, m.conversation_id AS "conversationId",
              EXISTS (SELECT 1 FROM notifications o WHERE o.user_id = n.user_id AND o.provider_status = 'delivered'
                        AND (o.id = n.id OR (n.message_id IS NOT NULL AND o.message_id = n.message_id))) AS "deliveredElsewhere"
       FROM notifications n
       LEFT JOIN messages m ON m.id = n.message_id
       LEFT JOIN message_deliveries d ON d.message_id = n.message_id AND d.recipient_id = n.user_id
       WHERE n.id = $1`,
      [id],
    );
    return row;
  }

  /** `failed` or `skipped`, with why. */
  async markUnsent(id: string, status: 'failed' | 'skipped', reason: string): Promise<void> {
    await this.dataSource.query(`UPDATE notifications SET status = $2, error = $3 WHERE id = $1`, [id, status, reason]);
  }

  /** An error to show while the notification waits to be tried again. */
  async noteError(id: string, error: string): Promise<void> {
    await this.dataSource.query(`UPDATE notifications SET error = $2 WHERE id = $1`, [id, error]);
  }

  /** Undefined when there is no such message. */
  async notifiedMessage(messageId: string, recipientId: string): Promise<NotifiedMessage | undefined> {
    const [row]: NotifiedMessage[] = await this.dataSource.query(
      `SELECT m.conversation_id AS "conversationId", c.title AS "conversationTitle", u.display_name AS sender,
              m.deleted_at IS NOT NULL AS deleted, d.status AS "deliveryStatus"
       FROM messages m JOIN users u ON u.id = m.sender_id JOIN conversations c ON c.id = m.conversation_id
       LEFT JOIN message_deliveries d ON d.message_id = m.id AND d.recipient_id = $2
       WHERE m.id = $1`,
      [messageId, recipientId],
    );
    return row;
  }

  /**
   * What in the conversation is still unread by the recipient, from `fromMessageId` on and
   * created before `before`, counted up to `cap`; undefined when nothing is. Reads from the
   * message's seq on (the conversation's own index) and stops at `cap` rows: a busy
   * conversation nobody reads must not make each reminder read thousands of them.
   */
  async unreadRun(conversationId: string, recipientId: string, fromMessageId: string | null, before: Date, cap: number): Promise<UnreadRun | undefined> {
    const [row]: (Omit<UnreadRun, 'firstMessageId'> & { firstMessageId: string | null })[] = await this.dataSource.query(
      `SELECT count(*)::int AS count, (array_agg(r.id ORDER BY r.seq))[1] AS "firstMessageId",
              (SELECT u.display_name FROM users u WHERE u.id = (array_agg(r.sender_id ORDER BY r.seq))[1]) AS "firstSender",
              (SELECT c.title FROM conversations c WHERE c.id = $1) AS "conversationTitle"
       FROM (
         SELECT m.id, m.seq, m.sender_id FROM messages m
         WHERE m.conversation_id = $1 AND m.seq >= (SELECT seq FROM messages WHERE id = $3) AND m.created_at < $4 AND m.deleted_at IS NULL
           -- Per message, by the delivery's key (a scalar subquery is not turned into a join): a join read
           -- every delivery the recipient ever had, ~90 ms at 1,800 of them; this stops at the cap.
           AND (SELECT d.status <> 'read' FROM message_deliveries d WHERE d.message_id = m.id AND d.recipient_id = $2)
         ORDER BY m.seq LIMIT $5
       ) r`,
      [conversationId, recipientId, fromMessageId, before, cap],
    );
    return row?.firstMessageId ? { ...row, firstMessageId: row.firstMessageId } : undefined;
  }

  /**
   * How many of the recipient's deliveries queued in [from, to) are unread, counted up to `cap`:
   * a busy window must not make every digest read tens of thousands of rows at once.
   */
  async unreadCountBetween(recipientId: string, from: Date, to: Date, cap: number): Promise<number> {
    const [row]: { unread: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS unread FROM (
         SELECT 1 FROM message_deliveries d JOIN messages m ON m.id = d.message_id
         WHERE d.recipient_id = $1 AND d.queued_at >= $2 AND d.queued_at < $3 AND d.status <> 'read' AND m.deleted_at IS NULL
         LIMIT $4
       ) window_unread`,
      [recipientId, from, to, cap],
    );
    return row?.unread ?? 0;
  }
}
