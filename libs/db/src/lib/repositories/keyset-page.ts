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

/**
 * SQL for "`column` after the id in `param`, or from the first when it is null", for walks in
 * id order. A range on a COALESCE rather than `$n IS NULL OR column > $n`: the apps plan every
 * statement generically (data-source.ts), and a generic plan cannot make that OR an index
 * range, so each step read the table from its first row (a 1,000,000-recipient broadcast spent
 * 0.77 s per 5,000-recipient chunk at its middle, and more each chunk). The nil UUID is below
 * every id: random and time-ordered ids are never nil.
 */
export const idAfter = (column: string, param: string): string => `${column} > COALESCE(${param}::uuid, '00000000-0000-0000-0000-000000000000')`;

/** Like `idAfter`: `column` up to and including the id in `param`, or every id when it is null. */
export const idUpTo = (column: string, param: string): string => `${column} <= COALESCE(${param}::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')`;

/**
 * SQL for "rows before the position in (`atParam`, `idParam`), newest first, or from the newest
 * when it is null", as an index range in a generic plan (see `idAfter`): a deep page read every
 * row above it. Rows never hold an infinite time, so with no position the time alone decides.
 */
export const positionBefore = (at: string, id: string, atParam: string, idParam: string, idType: 'uuid' | 'text' = 'uuid'): string =>
  `(${at}, ${id}) < (COALESCE(${atParam}::timestamptz, 'infinity'), COALESCE(${idParam}::${idType}, ${idType === 'uuid' ? "'ffffffff-ffff-ffff-ffff-ffffffffffff'" : "''"}))`;

/** SQL for "`column` in [`fromParam`, `toParam`)", either end open when null, as an index range in a generic plan. */
export const timeWithin = (column: string, fromParam: string, toParam: string): string =>
  `${column} >= COALESCE(${fromParam}::timestamptz, '-infinity') AND ${column} < COALESCE(${toParam}::timestamptz, 'infinity')`;
