import type { WorkerConfig } from '../worker.config';

// Reminders and digests cover fixed windows of time, aligned to the epoch. A job payload names
// its window by the start in whole seconds (it is part of the job id), so a window that is not
// a whole number of seconds long (a 1.5 s reminder window) starts mid-second: its true start is
// recovered from that second, never taken as the second itself (which would cut the window's
// last half second off, and skip the messages sent in it).

/** Shorter windows could not be told apart by the second their payload names. */
const MIN_WINDOW_MS = 1_000;

/** An online recipient's reminder window: as long as the wait, so it fires only once the window has ended. */
export function reminderWindowMs(config: WorkerConfig): number {
  return Math.max(MIN_WINDOW_MS, config.notifications.unreadAfterMs);
}

/** The window holding `at` (epoch ms): its true start in ms, and the whole seconds a payload carries. */
export function windowAt(at: number, windowMs: number): { startMs: number; seconds: number } {
  const startMs = Math.floor(at / windowMs) * windowMs;
  return { startMs, seconds: Math.floor(startMs / 1000) };
}

/**
 * The bounds of the window a payload names. With windows of at least a second, exactly one
 * multiple of `windowMs` falls in the named second: the window's start.
 */
export function windowBounds(seconds: number, windowMs: number): { start: Date; end: Date } {
  if (windowMs < MIN_WINDOW_MS) throw new RangeError(`a notification window is at least ${MIN_WINDOW_MS} ms, not ${windowMs}`);
  const startMs = Math.ceil((seconds * 1000) / windowMs) * windowMs;
  return { start: new Date(startMs), end: new Date(startMs + windowMs) };
}
