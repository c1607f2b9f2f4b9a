import type { KeysetPosition } from '@mq/db';
import { isTimestamp } from '../input/timestamp.validator';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A row's uuid: the ids the audit and dead-letter lists page by. */
export const ROW_ID = new RegExp(`^${UUID}$`, 'i');
/** The ids our lists page by: a row's uuid, or `<message id>:<recipient id>` for deliveries. */
const CURSOR_ID = new RegExp(`^${UUID}(:${UUID})?$`, 'i');

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
