import type { NotificationPreferences, QuietHours } from '@mq/messaging-contracts';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export const DEFAULT_PREFERENCES: Readonly<NotificationPreferences> = Object.freeze({
  channels: Object.freeze({ inApp: true, email: true, push: true, sms: false }),
  quietHours: null,
});

export function isTimeOfDay(value: string): boolean {
  return HH_MM.test(value);
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function minutesOf(value: string): number {
  const match = HH_MM.exec(value);
  if (!match) throw new Error(`Not a time of day: ${value}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Wall-clock minutes and seconds of `at` in a time zone. */
function localClock(at: Date, timeZone: string): { minutes: number; seconds: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { minutes: part('hour') * 60 + part('minute'), seconds: part('second') };
}

/**
 * When the quiet hours around `at` end, or null if `at` is outside them. The window is local
 * wall-clock time and may wrap midnight (22:00-07:00).
 */
export function quietHoursEnd(at: Date, quietHours: QuietHours | null): Date | null {
  if (!quietHours) return null;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === end) return null;
  const { minutes, seconds } = localClock(at, quietHours.timeZone);
  const inside = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return null;
  const minutesLeft = (end - minutes + 1440) % 1440;
  return new Date(at.getTime() + minutesLeft * 60_000 - seconds * 1000 - at.getMilliseconds());
}
