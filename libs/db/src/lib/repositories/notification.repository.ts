import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppNotification } from '@mq/messaging-contracts';

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
}
