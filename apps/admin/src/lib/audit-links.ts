import { QUEUE_NAMES } from '@mq/queue-contracts';
import { PAGES } from './endpoints';
import { isUuid } from './recipients';

const isQueue = (target: string): boolean => (QUEUE_NAMES as readonly string[]).includes(target);

/** Where an audit entry's target can be looked at in the console, by the family of its action; undefined when nowhere. */
export function auditTargetHref(action: string, target: string): string | undefined {
  const family = action.slice(0, action.indexOf('.'));
  switch (family) {
    case 'queue':
    case 'deliveries':
      return isQueue(target) ? PAGES.queue(target) : undefined;
    case 'job':
    case 'dead-letter':
      return PAGES.job(target);
    case 'broadcast':
      return PAGES.broadcast(target);
    case 'user':
      return PAGES.users(target);
    case 'schedule':
      return '/schedules';
    default:
      return undefined;
  }
}

/** The filters of the audit page as the api's query: empty ones left out, times as ISO 8601. */
export interface AuditFilters {
  actorId: string;
  action: string;
  target: string;
  /** `datetime-local` values, in the browser's time zone. */
  from: string;
  to: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { actorId: '', action: '', target: '', from: '', to: '' };

export function auditQuery(filters: AuditFilters): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of ['action', 'target'] as const) if (filters[key].trim()) query[key] = filters[key].trim();
  // Half a pasted id would be the api's 400 on every keystroke: the filter applies once it is an id.
  if (isUuid(filters.actorId.trim())) query['actorId'] = filters.actorId.trim();
  for (const key of ['from', 'to'] as const) if (filters[key]) query[key] = new Date(filters[key]).toISOString();
  return query;
}

/** The export's URL on the console's origin (forwarded to the api): a plain link, so the browser streams it to a file. */
export function auditExportHref(filters: AuditFilters, format: 'csv' | 'json'): string {
  return `/api/audit/export?${new URLSearchParams({ ...auditQuery(filters), format }).toString()}`;
}
