import { EntitySubscriberInterface, EventSubscriber, TransactionStartEvent } from 'typeorm';

/**
 * Behind a transaction pooler a session setting would stay on whichever server connection ran
 * it and the pooler rejects startup parameters, so the statement timeout is set per transaction
 * (`set_config(..., true)` is `SET LOCAL` with a parameter): every transaction the app opens
 * starts with it. Returns the subscriber class TypeORM instantiates.
 */
export function statementTimeoutSubscriberFor(timeoutMs: number): new () => EntitySubscriberInterface {
  @EventSubscriber()
  class StatementTimeoutSubscriber implements EntitySubscriberInterface {
    async afterTransactionStart(event: TransactionStartEvent): Promise<void> {
      await event.queryRunner.query(`SELECT set_config('statement_timeout', $1, true)`, [`${timeoutMs}ms`]);
    }
  }
  return StatementTimeoutSubscriber;
}
