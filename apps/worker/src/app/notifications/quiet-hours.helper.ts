import { DateTime } from 'luxon';
import { TIME_OF_DAY } from '@mq/messaging-contracts';
import type { QuietHours } from '@mq/messaging-contracts';

const MINUTE_MS = 60_000;

function timeOf(value: string): { hour: number; minute: number } {
  const match = TIME_OF_DAY.exec(value);
  if (!match) throw new Error(`Not a time of day: ${value}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/**
 * The first instant the zone's clock reads `hour:minute` on the given local date, as a real
 * instant (the offset of that moment, not of now). In a DST gap (the time is skipped, e.g. 01:30
 * in London on the last Sunday of March) it is the jump itself, the first instant the clock reads
 * later than the time; when the time happens twice (the hour repeated in autumn) it is the first.
 */
export function localTimeInstant(date: { year: number; month: number; day: number }, hour: number, minute: number, timeZone: string): Date {
  const wall = DateTime.fromObject({ ...date, hour, minute }, { zone: timeZone });
  if (!wall.isValid) throw new RangeError(`${timeZone} is not a time zone`);
  if (wall.hour === hour && wall.minute === minute) {
    // Twice in an autumn night: both instants, earliest first.
    return new Date(Math.min(...wall.getPossibleOffsets().map((d) => d.toMillis())));
  }
  // Skipped: Luxon moved it forward by the gap. The jump lies between the time read with the
  // offset after it and with the offset before it; transitions fall on whole minutes.
  const zone = wall.zone;
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const before = zone.offset(asUtc - 86_400_000);
  const after = zone.offset(asUtc + 86_400_000);
  let low = (asUtc - after * MINUTE_MS) / MINUTE_MS; // still before the jump
  let high = (asUtc - before * MINUTE_MS) / MINUTE_MS; // after it
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zone.offset(middle * MINUTE_MS) === after) high = middle;
    else low = middle;
  }
  return new Date(high * MINUTE_MS);
}

/**
 * When the quiet hours around `at` end, or null if `at` is outside them. The window is local
 * wall-clock time in the user's zone and may wrap midnight (22:00-07:00); its end is the real
 * instant the zone's clock next reads the end time, so a DST change in the night moves it.
 */
export function quietHoursEnd(at: Date, quietHours: QuietHours | null): Date | null {
  if (!quietHours) return null;
  const start = timeOf(quietHours.start);
  const end = timeOf(quietHours.end);
  const startMinutes = start.hour * 60 + start.minute;
  const endMinutes = end.hour * 60 + end.minute;
  if (startMinutes === endMinutes) return null;
  const local = DateTime.fromJSDate(at, { zone: quietHours.timeZone });
  if (!local.isValid) return null;
  const minutes = local.hour * 60 + local.minute;
  const wraps = startMinutes > endMinutes;
  const inside = wraps ? minutes >= startMinutes || minutes < endMinutes : minutes >= startMinutes && minutes < endMinutes;
  if (!inside) return null;
  // Before midnight in a wrapping window: it ends tomorrow (local date).
  const day = wraps && minutes >= startMinutes ? local.plus({ days: 1 }) : local;
  const wake = localTimeInstant({ year: day.year, month: day.month, day: day.day }, end.hour, end.minute, quietHours.timeZone);
  // The window may have been entered through a skipped hour, its end the jump just gone: over.
  return wake.getTime() > at.getTime() ? wake : null;
}
