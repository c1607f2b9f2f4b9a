import { ValidateBy, ValidationOptions } from 'class-validator';

// Calendar date and time of day with an explicit offset: what Postgres's timestamptz reads as written.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A timestamp Postgres stores exactly as JavaScript reads it. `@IsISO8601` also passes week
 * dates (`2020-W01-1`), day 30 of February and year 0, which Postgres refuses with an error
 * (a 500) or reads differently.
 */
export function isTimestamp(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = TIMESTAMP.exec(value);
  if (!match) return false;
  const [, year, month, day, hour] = match.map(Number) as number[];
  // setUTCFullYear, not Date.UTC: that reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year as number, (month as number) - 1, day as number);
  return (
    (year as number) >= 1 &&
    (hour as number) < 24 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === (month as number) - 1 &&
    date.getUTCDate() === day &&
    !Number.isNaN(Date.parse(value))
  );
}

export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTimestamp',
      validator: {
        validate: isTimestamp,
        defaultMessage: (args) => `${args?.property ?? 'value'} must be a date and time such as 2026-01-31T08:00:00Z`,
      },
    },
    options,
  );
}
