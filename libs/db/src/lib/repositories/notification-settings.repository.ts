import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FallbackChannel, NotificationPreferences, PushSubscriptionRequest } from '@mq/messaging-contracts';

/** A browser's push subscription as stored. */
export interface StoredPushSubscription extends PushSubscriptionRequest {
  id: string;
}

/** Where and how a user can be notified. */
export interface NotificationRecipient {
  email: string;
  displayName: string;
  phone: string | null;
  active: boolean;
  /** Null for a user who never saved preferences (the defaults apply). */
  channels: NotificationPreferences['channels'] | null;
  /** Null: no fallback between channels. */
  channelOrder: FallbackChannel[] | null;
}

/** A user's notification preferences, addresses and the browsers they receive push notifications on. */
@Injectable()
export class NotificationSettingsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Undefined when there is no such user. */
  async recipient(userId: string): Promise<NotificationRecipient | undefined> {
    const [row]: NotificationRecipient[] = await this.dataSource.query(
      `SELECT u.email, u.display_name AS "displayName", u.phone, u.active, p.channels, p.channel_order AS "channelOrder"
       FROM users u LEFT JOIN notification_preferences p ON p.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    return row;
  }

  /** Undefined for a user who never saved any (the defaults apply). */
  async preferences(userId: string): Promise<NotificationPreferences | undefined> {
    const [row]: (NotificationPreferences & { channelOrder: FallbackChannel[] | null })[] = await this.dataSource.query(
      `SELECT channels, quiet_hours AS "quietHours", channel_order AS "channelOrder" FROM notification_preferences WHERE user_id = $1`,
      [userId],
    );
    return row && { ...row, channelOrder: row.channelOrder ?? [] };
  }

  /** A channelOrder left out keeps the saved one. Returns what is saved. */
  async savePreferences(userId: string, preferences: NotificationPreferences): Promise<NotificationPreferences> {
    const order = preferences.channelOrder ? JSON.stringify(preferences.channelOrder) : null;
    const [row]: { channelOrder: FallbackChannel[] | null }[] = await this.dataSource.query(
      `INSERT INTO notification_preferences (user_id, channels, quiet_hours, channel_order) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id) DO UPDATE SET channels = EXCLUDED.channels, quiet_hours = EXCLUDED.quiet_hours,
         channel_order = COALESCE(EXCLUDED.channel_order, notification_preferences.channel_order), updated_at = now()
       RETURNING channel_order AS "channelOrder"`,
      [userId, JSON.stringify(preferences.channels), preferences.quietHours ? JSON.stringify(preferences.quietHours) : null, order],
    );
    return { ...preferences, channelOrder: row?.channelOrder ?? [] };
  }

  /**
   * An endpoint belongs to one user: a device that changed hands moves to its new user, and new
   * keys replace old ones. Returns false when the very same subscription is already stored.
   */
  async addPushSubscription(userId: string, subscription: PushSubscriptionRequest): Promise<boolean> {
    // An INSERT answers its RETURNING rows: none when nothing changed.
    const stored: unknown[] = await this.dataSource.query(
      `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
       WHERE (push_subscriptions.user_id, push_subscriptions.p256dh, push_subscriptions.auth) IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.p256dh, EXCLUDED.auth)
       RETURNING endpoint`,
      [userId, subscription.endpoint, subscription.keys.p256dh, subscription.keys.auth],
    );
    return stored.length > 0;
  }

  async pushSubscriptionsOf(userId: string): Promise<StoredPushSubscription[]> {
    const rows: { id: string; endpoint: string; p256dh: string; auth: string }[] = await this.dataSource.query(
      `SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1`,
      [userId],
    );
    return rows.map((row) => ({ id: row.id, endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } }));
  }

  async pushSucceeded(subscriptionId: string): Promise<void> {
    await this.dataSource.query(`UPDATE push_subscriptions SET last_success_at = now() WHERE id = $1`, [subscriptionId]);
  }

  /** The push service said the subscription is gone for good. */
  async removePushSubscription(subscriptionId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM push_subscriptions WHERE id = $1`, [subscriptionId]);
  }
}
