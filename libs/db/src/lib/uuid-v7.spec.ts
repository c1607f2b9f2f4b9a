import { isUUID } from 'class-validator';
import { uuidV7 } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version 7, RFC variant UUID carrying the time', () => {
    const at = Date.UTC(2026, 10, 27, 12, 0, 0);
    const id = uuidV7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUUID(id, 'all')).toBe(true);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(at);
  });

  it('sorts in the order made, within a millisecond and across them', () => {
    const start = Date.now() + 60_000;
    const ids = [...Array.from({ length: 5_000 }, () => uuidV7(start)), ...Array.from({ length: 10 }, (_, i) => uuidV7(start + 2 + i))];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
