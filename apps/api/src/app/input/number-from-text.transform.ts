import { Transform } from 'class-transformer';

/**
 * A number, or numeric text, as its number; anything else as sent, for @IsInt to refuse. Not
 * `@Type(() => Number)`: Number() throws on an object whose valueOf and toString are not
 * functions (a 500), and turns `true` or `[5]` into numbers that pass.
 */
export const NumberFromText = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value));
