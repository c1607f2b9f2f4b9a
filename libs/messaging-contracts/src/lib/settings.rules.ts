import type { NotificationPreferences } from './settings.contract';

// The rules of the settings contract's fields, shared by the api's validation, the worker and clients.
/** `HH:mm`, 00:00 to 23:59; the groups are the hour and the minute. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** What a user who never saved preferences gets. */
export const DEFAULT_PREFERENCES: Readonly<NotificationPreferences> = Object.freeze({
  channels: Object.freeze({ inApp: true, email: true, push: true, sms: false }),
  quietHours: null,
  channelOrder: [],
});

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
