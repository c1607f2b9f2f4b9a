import { QueryFailedError } from 'typeorm';

/** A statement broke a unique constraint (Postgres 23505): the row is there already. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';
}
