import type { AuditEntry } from '@mq/messaging-contracts';

export const AUDIT_CSV_HEADER = 'id,at,actor_id,action,target,count\r\n';

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A field a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR at its start) gets a leading apostrophe (OWASP's
 * CSV injection advice): targets are operator-supplied strings such as job ids.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toAuditCsvLine(entry: AuditEntry): string {
  return `${[entry.id, entry.at, entry.actorId, entry.action, entry.target, entry.count].map(csvField).join(',')}\r\n`;
}
