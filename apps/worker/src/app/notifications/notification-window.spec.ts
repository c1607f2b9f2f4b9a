import { WorkerConfig } from '../worker.config';
import { reminderWindowMs, windowAt, windowBounds } from './notification-window';

describe('notification windows', () => {
  it('recovers a window that starts mid-second from the whole second a payload carries', () => {
    // A reminder planned at 22:34:14.660 with NOTIFY_UNREAD_AFTER_MS=1500: the window is
    // 22:34:13.500 to 22:34:15.000, and the message is in it (cut at the second, it was not).
    const at = Date.parse('2026-11-27T22:34:14.660Z');
    const { startMs, seconds } = windowAt(at, 1_500);
    expect(new Date(startMs).toISOString()).toBe('2026-11-27T22:34:13.500Z');
    expect(seconds).toBe(Date.parse('2026-11-27T22:34:13Z') / 1000);
    const { start, end } = windowBounds(seconds, 1_500);
    expect(start.toISOString()).toBe('2026-11-27T22:34:13.500Z');
    expect(end.toISOString()).toBe('2026-11-27T22:34:15.000Z');
  });

  it.each([1_000, 1_001, 1_500, 1_999, 2_000, 2_500, 30_000, 600_000])('puts every instant in the window it names (%i ms windows)', (windowMs) => {
    const base = Date.parse('2026-03-02T09:00:00Z');
    for (let offset = 0; offset < 5 * windowMs; offset += 97) {
      const at = base + offset;
      const { startMs, seconds } = windowAt(at, windowMs);
      const { start, end } = windowBounds(seconds, windowMs);
      expect([start.getTime(), end.getTime()]).toEqual([startMs, startMs + windowMs]);
      expect(start.getTime() <= at && at < end.getTime()).toBe(true);
    }
  });

  it('refuses a window shorter than a second, whose start a second cannot name', () => {
    expect(() => windowBounds(1_795_818_853, 999)).toThrow(RangeError);
  });

  it('makes the reminder window as long as the wait, and at least a second', () => {
    const config = (unreadAfterMs: number) => ({ notifications: { unreadAfterMs } }) as unknown as WorkerConfig;
    expect(reminderWindowMs(config(30_000))).toBe(30_000);
    expect(reminderWindowMs(config(1_500))).toBe(1_500);
    expect(reminderWindowMs(config(0))).toBe(1_000);
  });
});
