import { TIME_OF_DAY } from '@mq/messaging-contracts';
import type { QuietHours } from '@mq/messaging-contracts';

function minutesOf(value: string): number {
  const match = TIME_OF_DAY.exec(value);
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
