import { createHash } from 'node:crypto';
import { DefaultNamingStrategy, NamingStrategyInterface, Table } from 'typeorm';

/** Postgres truncates identifiers longer than this silently, so two long names could collide. */
const MAX_IDENTIFIER_LENGTH = 63;

/** `lastReadSeq` -> `last_read_seq`, `HTTPStatus` -> `http_status`. */
export function snakeCase(value: string): string {
  return value
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z\d])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

/**
 * camelCase properties, snake_case tables and columns, and readable constraint names
 * (`fk_messages_conversation_id` instead of `FK_1f3a...`): a constraint violation in a log
 * or a Postgres error then says which rule broke without a lookup.
 */
export class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  override tableName(targetName: string, userSpecifiedName: string | undefined): string {
    return userSpecifiedName ?? snakeCase(targetName.replace(/Entity$/, ''));
  }

  override columnName(propertyName: string, customName: string | undefined, embeddedPrefixes: string[]): string {
    return snakeCase([...embeddedPrefixes, customName ?? propertyName].join('_'));
  }

  override relationName(propertyName: string): string {
    return propertyName;
  }

  override joinColumnName(relationName: string, referencedColumnName: string): string {
    return snakeCase(`${relationName}_${referencedColumnName}`);
  }

  override joinTableName(firstTableName: string, secondTableName: string, firstPropertyName: string): string {
    return snakeCase(`${firstTableName}_${firstPropertyName.replace(/\./g, '_')}_${secondTableName}`);
  }

  override joinTableColumnName(tableName: string, propertyName: string, columnName?: string): string {
    return snakeCase(`${tableName}_${columnName ?? propertyName}`);
  }

  // One primary key per table, so the table name alone is unique.
  override primaryKeyName(tableOrName: Table | string, _columnNames?: string[]): string {
    return this.constraint('pk', tableOrName, []);
  }

  override uniqueConstraintName(tableOrName: Table | string, columnNames: string[]): string {
    return this.constraint('uq', tableOrName, columnNames);
  }

  override relationConstraintName(tableOrName: Table | string, columnNames: string[]): string {
    return this.constraint('rel', tableOrName, columnNames);
  }

  override defaultConstraintName(tableOrName: Table | string, columnName: string): string {
    return this.constraint('df', tableOrName, [columnName]);
  }

  override foreignKeyName(tableOrName: Table | string, columnNames: string[]): string {
    return this.constraint('fk', tableOrName, columnNames);
  }

  override indexName(tableOrName: Table | string, columnNames: string[]): string {
    return this.constraint('idx', tableOrName, columnNames);
  }

  // Checks are named explicitly on the entities; this is only the fallback for unnamed ones.
  override checkConstraintName(tableOrName: Table | string, expression: string): string {
    return this.constraint('chk', tableOrName, [this.shortHash(expression)]);
  }

  override exclusionConstraintName(tableOrName: Table | string, expression: string): string {
    return this.constraint('xcl', tableOrName, [this.shortHash(expression)]);
  }

  private constraint(prefix: string, tableOrName: Table | string, columnNames: readonly string[]): string {
    // Column order is part of an index's meaning, so it is kept, not sorted.
    const name = [prefix, this.getTableName(tableOrName).replace('.', '_'), ...columnNames].join('_');
    if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
    const suffix = `_${this.shortHash(name)}`;
    return name.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length) + suffix;
  }

  private shortHash(input: string): string {
    return createHash('sha1').update(input).digest('hex').slice(0, 8);
  }
}
