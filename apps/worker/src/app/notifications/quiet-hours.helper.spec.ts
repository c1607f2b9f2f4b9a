import { isTimeOfDay, isTimeZone } from '@mq/messaging-contracts';
import { quietHoursEnd } from './quiet-hours.helper';

describe('quiet hours', () => {
  const london = { start: '22:00', end: '07:00', timeZone: 'Europe/London' };

  it('finds the end of a window that wraps midnight, in the user’s zone', () => {
    // 23:30 in London (winter, UTC+0) -> ends 07:00 next morning.
    expect(quietHoursEnd(new Date('2026-11-22T23:30:15Z'), london)?.toISOString()).toBe('2026-11-23T07:00:00.000Z');
    // 06:59 -> ends a minute later.
    expect(quietHoursEnd(new Date('2026-11-23T06:59:00Z'), london)?.toISOString()).toBe('2026-11-23T07:00:00.000Z');
  });

  it('is null outside the window and for no quiet hours', () => {
    expect(quietHoursEnd(new Date('2026-11-22T12:00:00Z'), london)).toBeNull();
    expect(quietHoursEnd(new Date('2026-11-22T07:00:00Z'), london)).toBeNull();
    expect(quietHoursEnd(new Date(), null)).toBeNull();
  });

  it('uses the zone’s offset (New York is UTC-5 in November)', () => {
    const ny = { start: '22:00', end: '07:00', timeZone: 'America/New_York' };
    expect(quietHoursEnd(new Date('2026-11-23T04:00:00Z'), ny)?.toISOString()).toBe('2026-11-23T12:00:00.000Z');
    expect(quietHoursEnd(new Date('2026-11-23T02:00:00Z'), ny)).toBeNull(); // 21:00 local
  });

  it('validates times and zones', () => {
    expect(isTimeOfDay('07:00')).toBe(true);
    expect(isTimeOfDay('7:00')).toBe(false);
    expect(isTimeOfDay('24:00')).toBe(false);
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
