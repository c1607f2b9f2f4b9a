import { isUUID } from 'class-validator';
import { uuidV7 } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version 7, RFC variant UUID carrying the time it was made', () => {
    const before = Date.now();
    const id = uuidV7();
    const after = Date.now();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isUUID(id, 'all')).toBe(true);
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('sorts in the order made, many within one millisecond', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidV7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Thousands were made within one millisecond: the order holds inside it, not only across.
    const perMs = new Map<string, number>();
    for (const id of ids) perMs.set(id.slice(0, 13), (perMs.get(id.slice(0, 13)) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeGreaterThan(1);
  });
});
