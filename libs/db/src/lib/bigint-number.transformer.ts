import { ValueTransformer } from 'typeorm';

/**
 * pg returns `bigint` as a string because it can exceed 2^53. Sequence counters and sizes
 * never get near that, so they are read as numbers; a value that would lose precision
 * throws instead of silently rounding.
 */
export const bigintNumberTransformer: ValueTransformer = {
  to: (value: unknown): unknown => value,
  from: (value: unknown): unknown => {
    if (value === null || value === undefined) return value;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (!Number.isSafeInteger(parsed)) {
      throw new RangeError(`bigint value ${String(value)} is not a safe JavaScript integer`);
    }
    return parsed;
  },
};
