import type { LedgerAccess } from '@mq/messaging-contracts';
import { csvField } from '../operators/audit-csv.format';

export const LEDGER_CSV_HEADER = 'seq,at,actor_id,subject_ids,via,conversation_ids,message_count,message_ids,ip,user_agent\r\n';

/** One access as a CSV line; id lists are space-separated inside their field. */
export function toLedgerCsvLine(access: LedgerAccess): string {
  return `${[
    access.seq,
    access.at,
    access.actorId,
    access.subjectIds.join(' '),
    access.via,
    access.conversationIds.join(' '),
    access.messageCount,
    access.messageIds.join(' '),
    access.ip,
    access.userAgent,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}
