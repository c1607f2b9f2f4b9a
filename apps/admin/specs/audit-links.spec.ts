import { NO_AUDIT_FILTERS, auditExportHref, auditQuery, auditTargetHref } from '../src/lib/audit-links';

describe('audit links', () => {
  it('links a target to the page that shows it, by the action family', () => {
    expect(auditTargetHref('queue.pause', 'message-delivery')).toBe('/queues/message-delivery');
    expect(auditTargetHref('deliveries.retry', 'message-delivery')).toBe('/queues/message-delivery');
    expect(auditTargetHref('job.retry', 'deliver:1')).toBe('/jobs/deliver%3A1');
    expect(auditTargetHref('dead-letter.replay', 'notify:1')).toBe('/jobs/notify%3A1');
    expect(auditTargetHref('user.update', 'u-1')).toBe('/users?search=u-1');
    expect(auditTargetHref('broadcast.start', 'b-1')).toBe('/broadcast/b-1');
    expect(auditTargetHref('schedule.pause', 'cleanup-messages:nightly-cleanup::UTC:0 2 * * *')).toBe('/schedules');
    expect(auditTargetHref('queue.pause', 'not-a-queue')).toBeUndefined();
    expect(auditTargetHref('auth.lockout', 'ip:1.2.3.4')).toBeUndefined();
  });

  it('leaves empty filters out and sends times as ISO 8601', () => {
    expect(auditQuery(NO_AUDIT_FILTERS)).toEqual({});
    const from = '2026-12-07T09:30';
    expect(auditQuery({ ...NO_AUDIT_FILTERS, action: ' user. ', from })).toEqual({ action: 'user.', from: new Date(from).toISOString() });
    expect(auditQuery({ ...NO_AUDIT_FILTERS, actorId: '0b8f0c3e-1e7a' })).toEqual({});
    expect(auditQuery({ ...NO_AUDIT_FILTERS, actorId: '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10' })).toEqual({ actorId: '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10' });
    expect(auditExportHref({ ...NO_AUDIT_FILTERS, target: 'a b' }, 'csv')).toBe('/api/audit/export?target=a+b&format=csv');
  });
});
