import 'reflect-metadata';
import { decodeCursor, encodeCursor } from './cursor.query';

const id = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
const other = '7d1e4c2a-0b8f-4c55-9a51-2f6b4d9f8a10';

describe('list cursors', () => {
  it('carry a position to the microsecond, as Postgres holds it', () => {
    const position = { at: '2026-12-01T10:00:00.123456Z', id };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    const delivery = { at: '2026-12-01T10:00:00.000001Z', id: `${id}:${other}` };
    expect(decodeCursor(encodeCursor(delivery))).toEqual(delivery);
  });

  it('still read a cursor of milliseconds', () => {
    expect(decodeCursor(encodeCursor({ at: '2026-12-01T10:00:00.123Z', id }))).toEqual({ at: '2026-12-01T10:00:00.123Z', id });
  });

  it('start from the first page for anything that is not one of ours', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor(encodeCursor({ at: '2026-02-30T10:00:00Z', id }))).toBeUndefined();
    expect(decodeCursor(encodeCursor({ at: '2026-12-01 10:00', id }))).toBeUndefined();
    expect(decodeCursor(encodeCursor({ at: '2026-12-01T10:00:00Z', id: 'not-a-uuid' }))).toBeUndefined();
    expect(decodeCursor(Buffer.from(`2026-12-01T10:00:00Z|${id}|extra`).toString('base64url'))).toBeUndefined();
  });
});
