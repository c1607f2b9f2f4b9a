import { getMetadataArgsStorage } from 'typeorm';
import { DB_ENTITIES } from './db-entities';

describe('DB_ENTITIES', () => {
  const targets = new Set<unknown>(DB_ENTITIES);
  const storage = getMetadataArgsStorage();

  it('lists every entity once, each with an explicit table name', () => {
    expect(targets.size).toBe(DB_ENTITIES.length);
    const tables = storage.tables.filter((table) => targets.has(table.target));
    expect(tables).toHaveLength(DB_ENTITIES.length);
    for (const table of tables) expect(table.name).toMatch(/^[a-z_]+$/);
  });

  // design:type metadata is unreliable under SWC and for unions; every column says its type.
  it('gives every column an explicit database type', () => {
    const columns = storage.columns.filter((column) => targets.has(column.target));
    expect(columns.length).toBeGreaterThan(DB_ENTITIES.length * 3);
    const untyped = columns.filter((column) => !column.options.type).map((column) => `${(column.target as { name: string }).name}.${column.propertyName}`);
    expect(untyped).toEqual([]);
  });
});
