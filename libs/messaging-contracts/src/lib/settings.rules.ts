import type { NotificationChannel, NotificationPreferences, QuietHours } from './settings.contract';

// The rules of the settings contract's fields, shared by the api's validation, the worker and clients.
/** `HH:mm`, 00:00 to 23:59; the groups are the hour and the minute. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** What a user who never saved preferences gets. */
export const DEFAULT_PREFERENCES: Readonly<NotificationPreferences> = Object.freeze({
  channels: Object.freeze({ inApp: true, email: true, push: true, sms: false }),
  quietHours: null,
  channelOrder: [],
});

/** The channels quiet hours hold when the user did not choose: everything but in-app. */
export const DEFAULT_QUIET_CHANNELS: readonly NotificationChannel[] = Object.freeze(['email', 'push', 'sms'] as const);

/** Whether quiet hours hold this channel (no quiet hours hold nothing). */
export function quietHoldsChannel(quietHours: QuietHours | null, channel: NotificationChannel): boolean {
  return quietHours !== null && (quietHours.channels ?? DEFAULT_QUIET_CHANNELS).includes(channel);
}

export function isTimeOfDay(value: string): boolean {
  return TIME_OF_DAY.test(value);
}

/** An IANA zone this runtime knows. */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
