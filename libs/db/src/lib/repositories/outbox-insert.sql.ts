/**
 * The one INSERT into `outbox`, shared by OutboxRepository.stage and the hot-path statements
 * that stage their job in the same statement as their rows (MessageRepository.storeBatch,
 * DeliveryRepository.stageReceipts). `source` is a query with the columns queue, job_name,
 * job_id, payload, priority, available_at. Staging the same job id twice keeps the first row.
 * Internal to libs/db: not exported from the library's index.
 */
export function outboxInsert(source: string): string {
  return `INSERT INTO outbox (queue, job_name, job_id, payload, priority, available_at)
    SELECT queue, job_name, job_id, payload, priority, available_at FROM (${source}) AS staging
    ON CONFLICT (job_id) DO NOTHING
    RETURNING id, job_id, payload, available_at`;
}
