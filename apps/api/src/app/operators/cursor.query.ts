import { Type } from 'class-transformer';
import type { KeysetPosition } from '@mq/db';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isTimestamp } from '../input/timestamp.validator';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ROW_ID = new RegExp(`^${UUID}$`, 'i');
/** The ids our lists page by: a row's uuid, or `<message id>:<recipient id>` for deliveries. */
const CURSOR_ID = new RegExp(`^${UUID}(:${UUID})?$`, 'i');

@ValidatorConstraint({ name: 'uuidCursor' })
class UuidCursorConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && ROW_ID.test(decodeCursor(value)?.id ?? '');
  }
  defaultMessage(): string {
    return 'cursor must be the x-next-cursor of an earlier page of this list';
  }
}

/**
 * `?limit=&cursor=` of the operator lists that page by a row's uuid (audit, dead letters):
 * another cursor would reach Postgres as a uuid it cannot cast (a 500), so it is refused here.
 */
export class CursorQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit = 50;
  @IsOptional() @IsString() @MaxLength(256) @Validate(UuidCursorConstraint) cursor?: string;
}

/** Keyset cursor over (time desc, id desc), opaque to clients. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(`${position.at}|${position.id}`).toString('base64url');
}

/**
 * The cursor's position, or undefined for the first page (or a cursor that is not ours: its id
 * not one of ours, or its time not one Postgres reads exactly as JavaScript does).
 */
export function decodeCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (!cursor) return undefined;
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  return at && id && rest.length === 0 && CURSOR_ID.test(id) && isTimestamp(at) ? { at, id } : undefined;
}
