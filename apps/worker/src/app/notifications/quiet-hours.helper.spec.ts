import { isTimeOfDay, isTimeZone } from '@mq/messaging-contracts';
import { localTimeInstant, quietHoursEnd } from './quiet-hours.helper';

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

  describe('across a DST change', () => {
    const iso = (at: string, quietHours: typeof london) => quietHoursEnd(new Date(at), quietHours)?.toISOString();

    it('London, end of March: the night is an hour shorter (07:00 BST is 06:00 UTC)', () => {
      // 23:00 GMT on Saturday 27 March 2027; the clocks go forward at 01:00 UTC.
      expect(iso('2027-03-27T23:00:00Z', london)).toBe('2027-03-28T06:00:00.000Z');
      // Adding wall-clock minutes (8 h) would have said 07:00 UTC, 08:00 local.
      expect(iso('2027-03-28T05:59:00Z', london)).toBe('2027-03-28T06:00:00.000Z');
      expect(iso('2027-03-28T06:00:00Z', london)).toBeUndefined();
    });

    it('London, end of October: the night is an hour longer (07:00 GMT is 07:00 UTC)', () => {
      // 23:30 BST on Saturday 24 October 2026; the clocks go back at 01:00 UTC.
      expect(iso('2026-10-24T22:30:00Z', london)).toBe('2026-10-25T07:00:00.000Z');
      expect(iso('2026-10-25T06:30:00Z', london)).toBe('2026-10-25T07:00:00.000Z');
    });

    it('New York, both changes (second Sunday of March, first of November)', () => {
      const ny = { start: '22:00', end: '07:00', timeZone: 'America/New_York' };
      // 22:30 EST on 13 March 2027 -> 07:00 EDT (UTC-4).
      expect(iso('2027-03-14T03:30:00Z', ny)).toBe('2027-03-14T11:00:00.000Z');
      // 22:30 EDT on 31 October 2026 -> 07:00 EST (UTC-5).
      expect(iso('2026-11-01T02:30:00Z', ny)).toBe('2026-11-01T12:00:00.000Z');
    });

    it('an end in the skipped hour wakes at the jump; an end in the repeated hour at its first occurrence', () => {
      const early = { start: '23:00', end: '01:30', timeZone: 'Europe/London' };
      // 01:30 does not exist on 28 March 2027: the clock jumps from 01:00 GMT to 02:00 BST at 01:00 UTC.
      expect(iso('2027-03-27T23:30:00Z', early)).toBe('2027-03-28T01:00:00.000Z');
      // 01:30 happens twice on 25 October 2026: first at 00:30 UTC (BST).
      expect(iso('2026-10-24T22:30:00Z', early)).toBe('2026-10-25T00:30:00.000Z');
      expect(localTimeInstant({ year: 2026, month: 10, day: 25 }, 1, 30, 'Europe/London').toISOString()).toBe('2026-10-25T00:30:00.000Z');
      expect(localTimeInstant({ year: 2027, month: 3, day: 14 }, 2, 30, 'America/New_York').toISOString()).toBe('2027-03-14T07:00:00.000Z');
    });

    it('two users in two zones at the same instant: each wakes at their own 07:00', () => {
      const tokyo = { start: '22:00', end: '07:00', timeZone: 'Asia/Tokyo' };
      const at = '2027-03-27T23:00:00Z'; // 23:00 in London, 08:00 on the 28th in Tokyo
      expect(iso(at, london)).toBe('2027-03-28T06:00:00.000Z');
      expect(iso(at, tokyo)).toBeUndefined();
      // 23:30 in Tokyo (no DST) -> 07:00 JST = 22:00 UTC.
      expect(iso('2027-03-27T14:30:00Z', tokyo)).toBe('2027-03-27T22:00:00.000Z');
    });

    it('a window that does not wrap midnight', () => {
      const afternoon = { start: '13:00', end: '14:30', timeZone: 'Europe/Paris' };
      expect(iso('2027-03-28T11:15:00Z', afternoon)).toBe('2027-03-28T12:30:00.000Z'); // 13:15 CEST
      expect(iso('2027-03-28T12:30:00Z', afternoon)).toBeUndefined();
    });
  });

  it('validates times and zones', () => {
    expect(isTimeOfDay('07:00')).toBe(true);
    expect(isTimeOfDay('7:00')).toBe(false);
    expect(isTimeOfDay('24:00')).toBe(false);
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});
