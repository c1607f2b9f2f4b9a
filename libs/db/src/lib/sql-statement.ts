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
