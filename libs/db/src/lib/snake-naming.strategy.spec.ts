import { SnakeNamingStrategy, snakeCase } from './snake-naming.strategy';

describe('SnakeNamingStrategy', () => {
  const strategy = new SnakeNamingStrategy();

  it('snake-cases camelCase names', () => {
    expect(snakeCase('lastReadSeq')).toBe('last_read_seq');
    expect(snakeCase('completedPerMinute')).toBe('completed_per_minute');
    expect(snakeCase('p256dh')).toBe('p256dh');
    expect(snakeCase('HTTPStatus')).toBe('http_status');
    expect(snakeCase('already_snake')).toBe('already_snake');
  });

  it('names columns snake_case, keeping explicit names and embedded prefixes', () => {
    expect(strategy.columnName('clientMessageId', undefined, [])).toBe('client_message_id');
    expect(strategy.columnName('ignored', 'customName', [])).toBe('custom_name');
    expect(strategy.columnName('start', undefined, ['quietHours'])).toBe('quiet_hours_start');
  });

  it('uses the given table name, else the class name without its Entity suffix', () => {
    expect(strategy.tableName('MessageDeliveryEntity', 'message_deliveries')).toBe('message_deliveries');
    expect(strategy.tableName('MessageDeliveryEntity', undefined)).toBe('message_delivery');
  });

  it('names join columns after the relation and referenced column', () => {
    expect(strategy.joinColumnName('conversation', 'id')).toBe('conversation_id');
  });

  it('gives constraints readable names', () => {
    expect(strategy.primaryKeyName('users', ['id'])).toBe('pk_users');
    expect(strategy.foreignKeyName('messages', ['conversation_id'])).toBe('fk_messages_conversation_id');
    expect(strategy.uniqueConstraintName('messages', ['conversation_id', 'seq'])).toBe('uq_messages_conversation_id_seq');
    expect(strategy.indexName('notifications', ['user_id', 'created_at'])).toBe('idx_notifications_user_id_created_at');
    expect(strategy.checkConstraintName('users', '"role" IN (\'user\')')).toMatch(/^chk_users_[0-9a-f]{8}$/);
  });

  it('keeps names within the 63-character identifier limit, distinctly', () => {
    const columns = ['a_very_long_column_name_number_one', 'a_very_long_column_name_number_two'];
    const first = strategy.indexName('conversation_participants', columns);
    const second = strategy.indexName('conversation_participants', [...columns].reverse());
    expect(first.length).toBeLessThanOrEqual(63);
    expect(second.length).toBeLessThanOrEqual(63);
    expect(first).not.toBe(second);
  });
});
