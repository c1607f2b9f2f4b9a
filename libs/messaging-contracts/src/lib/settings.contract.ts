import type { FallbackChannel } from './provider-feedback.contract';

/** Channels on the wire and in notification rows (`in_app`, as the queue payloads spell it). */
export const NOTIFICATION_CHANNELS = Object.freeze(['in_app', 'email', 'push', 'sms'] as const);
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const NOTIFICATION_STATUSES = Object.freeze(['pending', 'sent', 'failed', 'skipped'] as const);
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

export interface NotificationChannelPreferences {
  inApp: boolean;
  email: boolean;
  push: boolean;
  sms: boolean;
}

/**
 * Local wall-clock window (may wrap midnight) in which notifications on the held channels wait;
 * by default only in-app notifications go out. What was held goes out at the window's end as one
 * digest per channel. A critical message is never held.
 */
export interface QuietHours {
  /** `HH:mm`, e.g. `22:00`. */
  start: string;
  /** `HH:mm`, e.g. `07:00`. */
  end: string;
  /** IANA zone, e.g. `Europe/London`; an unknown zone is a 400. */
  timeZone: string;
  /**
   * The channels held in the window; absent: `email`, `push` and `sms` (DEFAULT_QUIET_CHANNELS).
   * An unknown channel is a 400.
   */
  channels?: NotificationChannel[];
}

/** `GET` / `PUT /me/notification-preferences`: the same shape both ways. */
export interface NotificationPreferences {
  channels: NotificationChannelPreferences;
  quietHours: QuietHours | null;
  /**
   * Where a notification goes next when its channel bounces or fails for good, e.g.
   * `['push', 'email', 'sms']`: the channel after the failed one is tried once. Empty: no
   * fallback (the default). A PUT without it keeps the saved order.
   */
  channelOrder?: FallbackChannel[];
}

/** `GET /me/notifications` query. */
export interface ListNotificationsQuery {
  unread?: boolean;
  limit?: number;
}

/** One `GET /me/notifications` item. Named so it does not clash with the DOM's `Notification`. */
export interface AppNotification {
  id: string;
  channel: NotificationChannel;
  status: NotificationStatus;
  /** Never message content ("New message from X"). */
  title: string;
  body: string;
  messageId: string | null;
  createdAt: string;
  readAt: string | null;
}

/** `POST /me/push-subscriptions` -> 201: a browser's PushSubscription, as `toJSON()` gives it. */
export interface PushSubscriptionRequest {
  endpoint: string;
  keys: {
    p256dh: string;
    auth: string;
  };
}
