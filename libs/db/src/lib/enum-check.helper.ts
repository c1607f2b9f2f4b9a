/**
 * The CHECK expression for a text column holding one of a fixed set of values. Enums are
 * stored as text with a check, not as Postgres enum types, because adding a value to a
 * check is a plain migration while altering an enum type cannot run inside a transaction
 * on older servers and cannot drop values at all.
 */
export function enumCheck(column: string, values: readonly string[]): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(column)) throw new Error(`Invalid column name for a check: ${column}`);
  if (values.length === 0) throw new Error(`An enum check on ${column} needs at least one value`);
  for (const value of values) {
    // The values are our own constants; refusing quotes keeps the generated SQL trivially safe.
    if (!/^[a-z0-9_-]+$/.test(value)) throw new Error(`Invalid enum value for ${column}: ${value}`);
  }
  return `"${column}" IN (${values.map((value) => `'${value}'`).join(', ')})`;
}
