import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { NotificationChannel } from '@mq/messaging-contracts';
import type { SqlStatement } from '../sql-statement';

/** A notification quiet hours hold instead of sending it now. */
export interface HeldItem {
  userId: string;
  channel: NotificationChannel;
  messageId: string;
  wakeAt: Date;
}

/** What a wake digest lists: who from and how many, never what. */
export interface HeldDigest {
  /** Held and still unread: what the digest lists. */
  count: number;
  /** Everything due to be released by this digest, the read and deleted ones too. */
  held: number;
  /** The first few senders' names, in the order of their first message. */
  senders: string[];
  senderCount: number;
  /** Rows held up to this time are the digest's; release only those. */
  asOf: Date;
}

/** `held_notifications`: what quiet hours held, until the wake digest releases it. */
@Injectable()
export class HeldNotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Holds items, to run alongside the sends that called for them (see OutboxRepository.stage); the same item twice is held once. */
  holdStatement(items: readonly HeldItem[]): SqlStatement | undefined {
    if (items.length === 0) return undefined;
    return {
      sql: `INSERT INTO held_notifications (user_id, channel, message_id, wake_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::timestamptz[])
            ON CONFLICT (user_id, channel, message_id) DO NOTHING`,
      params: [items.map((i) => i.userId), items.map((i) => i.channel), items.map((i) => i.messageId), items.map((i) => i.wakeAt)],
    };
  }

  /**
   * The recipient's unreleased items of the channel due by `wakeAt` (a late one from an earlier
   * night too). A message read or deleted since it was held is not listed (it is released with
   * the rest).
   */
  async digest(userId: string, channel: NotificationChannel, wakeAt: Date, maxSenders: number): Promise<HeldDigest> {
    const [row]: HeldDigest[] = await this.dataSource.query(
      `WITH held AS (
         SELECT m.created_at, m.sender_id, u.display_name AS sender, (m.deleted_at IS NULL AND d.status IS DISTINCT FROM 'read') AS listed
         FROM held_notifications h
         JOIN messages m ON m.id = h.message_id JOIN users u ON u.id = m.sender_id
         LEFT JOIN message_deliveries d ON d.message_id = h.message_id AND d.recipient_id = h.user_id
         WHERE h.user_id = $1 AND h.channel = $2 AND h.released_at IS NULL AND h.wake_at <= $3
       ), senders AS (
         SELECT sender_id, min(sender) AS sender, min(created_at) AS first FROM held WHERE listed GROUP BY sender_id
       )
       SELECT (SELECT count(*) FROM held WHERE listed)::int AS count, (SELECT count(*) FROM held)::int AS held,
              ARRAY(SELECT sender FROM senders ORDER BY first, sender_id LIMIT $4) AS senders,
              (SELECT count(*) FROM senders)::int AS "senderCount", clock_timestamp() AS "asOf"`,
      [userId, channel, wakeAt, maxSenders],
    );
    if (!row) throw new Error('held digest query returned no row');
    return row;
  }

  /** Marks what a digest covered released; again is a no-op. Returns how many it released. */
  async release(userId: string, channel: NotificationChannel, wakeAt: Date, asOf: Date): Promise<number> {
    const [, released]: [unknown, number] = await this.dataSource.query(
      `UPDATE held_notifications SET released_at = now()
       WHERE user_id = $1 AND channel = $2 AND released_at IS NULL AND wake_at <= $3 AND held_at <= $4`,
      [userId, channel, wakeAt, asOf],
    );
    return released;
  }
}
