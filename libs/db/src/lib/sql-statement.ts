/**
 * One data-modifying SQL statement with its own parameters ($1, $2, ...), built by a
 * repository and run by another one inside a single statement (see OutboxRepository.stage):
 * the caller's writes and its follow-up jobs in one round trip.
 */
export interface SqlStatement {
  sql: string;
  params: readonly unknown[];
}

/** Shifts `$n` placeholders by `offset`, so statements can share one parameter list. */
export function renumber(sql: string, offset: number): string {
  return offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/**
 * Parameters of a statement that carries only the filters given: `add` answers the value's
 * placeholder. A filter left out of the SQL (rather than written `$n IS NULL OR column = $n`)
 * lets a generic plan use the filter's index (see `idAfter` in repositories/keyset-page.ts).
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
