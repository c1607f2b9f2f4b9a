/** Display formats: one place, so numbers and times read the same on every page. */

const numberFormat = new Intl.NumberFormat('en');
const percentFormat = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const shortTimeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** `rate` is 0..1. */
export function formatPercent(rate: number): string {
  return percentFormat.format(Number.isFinite(rate) ? rate : 0);
}

function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDateTime(value: string | number | Date | null | undefined, empty = '—'): string {
  const date = toDate(value);
  return date ? dateTimeFormat.format(date) : empty;
}

export function formatTime(value: string | number | Date | null | undefined, empty = '—'): string {
  const date = toDate(value);
  return date ? timeFormat.format(date) : empty;
}

export function formatShortTime(value: string | number | Date | null | undefined): string {
  const date = toDate(value);
  return date ? shortTimeFormat.format(date) : '';
}

/** `1 h 5 min`, `3 min 20 s`, `850 ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** `512 B`, `1.5 MB`, `2.1 GB` (powers of 1024, one decimal past bytes). */
/** 4.2 ms, 63 ms, 2.5 s: the unit that keeps the number short. */
export function formatLatency(value: number | null): string {
  if (value === null) return '—';
  if (value < 10) return `${value.toFixed(1)} ms`;
  if (value < 1_000) return `${Math.round(value)} ms`;
  return `${(value / 1_000).toFixed(1)} s`;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The first block of a UUID, for dense tables (the full id is in the title and the link). */
export function shortId(id: string): string {
  return id.length > 13 ? `${id.slice(0, 8)}…` : id;
}

export function errorFirstLine(text: string | null | undefined): string {
  if (!text) return '';
  return text.split('\n', 1)[0] ?? '';
}
