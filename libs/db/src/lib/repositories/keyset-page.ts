/**
 * Where a row stands in a list ordered newest first by (time, id). `at` is the row's time as
 * Postgres holds it, to the microsecond: a JavaScript Date keeps milliseconds only, and a
 * cursor cut to them would skip every row within the same millisecond as a page's last.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

export interface KeysetPageQuery {
  /** The previous page's `next`; absent for the first page. */
  after?: KeysetPosition;
  limit: number;
}

export interface KeysetPage<T> {
  items: T[];
  /** Where the next page starts; null when this page was the last. */
  next: KeysetPosition | null;
}

/** SQL for a timestamptz column as a KeysetPosition's `at`: ISO 8601 in UTC with microseconds. */
export const keysetTime = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows selected with a `position` column (`keysetTime` and the id), as a page. */
export function toKeysetPage<R extends { position: KeysetPosition }, T>(rows: readonly R[], limit: number, toItem: (row: R) => T): KeysetPage<T> {
  const last = rows[rows.length - 1];
  return { items: rows.map(toItem), next: last && rows.length === limit ? last.position : null };
}
