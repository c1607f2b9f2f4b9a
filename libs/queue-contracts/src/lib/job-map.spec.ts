import { getMetadataStorage } from 'class-validator';
import { jobIdFor, queueOfJobId } from './job-ids';
import { JOB_DEFINITIONS, JobPayload, JobsOfQueue, jobsOfQueue, queueOfJob } from './job-map';
import { Receipt } from './job-payloads';
import { JOB, JOB_NAMES } from './job-names';
import { QUEUE, QUEUE_NAMES } from './queue-names';
import { QUEUE_POLICY } from './queue-policy';

const uuid = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';

describe('job map', () => {
  it('has seven frozen job names on six frozen queues', () => {
    expect(JOB_NAMES).toHaveLength(7);
    expect(QUEUE_NAMES).toHaveLength(6);
    expect(Object.isFrozen(JOB)).toBe(true);
    expect(Object.isFrozen(QUEUE)).toBe(true);
    expect(Object.isFrozen(QUEUE_POLICY)).toBe(true);
  });

  it('puts every job on one queue and every queue has a job', () => {
    expect(queueOfJob(JOB.SEND_MESSAGE)).toBe('message-delivery');
    expect(queueOfJob(JOB.DELIVERY_CONFIRMATION)).toBe('message-delivery');
    expect(jobsOfQueue(QUEUE.DELIVERY).sort()).toEqual(['delivery-confirmation', 'send-message']);
    for (const queue of QUEUE_NAMES) {
      expect(jobsOfQueue(queue).length).toBeGreaterThan(0);
    }
  });

  it('keeps the documented per-queue settings (README, queue table)', () => {
    const summary = Object.fromEntries(
      QUEUE_NAMES.map((q) => {
        const p = QUEUE_POLICY[q];
        return [q, [p.concurrency, p.attempts, p.backoff.type, p.backoff.delayMs, p.timeoutMs]];
      }),
    );
    expect(summary).toEqual({
      'message-delivery': [10, 5, 'exponential', 2000, 30_000],
      'message-notification': [15, 3, 'exponential', 1000, 20_000],
      'message-indexing': [3, 3, 'exponential', 3000, 60_000],
      'message-encryption': [5, 3, 'exponential', 2000, 45_000],
      'batch-message-sending': [2, 3, 'exponential', 5000, 300_000],
      'message-cleanup': [1, 2, 'fixed', 10_000, 600_000],
    });
  });

  it('bounds retention and keeps failed jobs visible for seven days', () => {
    for (const queue of QUEUE_NAMES) {
      const { keepCompleted, keepFailed } = QUEUE_POLICY[queue];
      expect(keepCompleted.maxCount).toBeGreaterThan(0);
      expect(keepFailed.maxCount).toBeGreaterThan(0);
      expect(keepFailed.maxAgeSeconds).toBe(7 * 24 * 3600);
    }
  });

  it('mints deterministic job ids whose prefix names the queue', () => {
    const payload: JobPayload<'send-message'> = { messageIds: [uuid] };
    expect(jobIdFor(JOB.SEND_MESSAGE, payload)).toBe(`deliver:${uuid}`);
    expect(jobIdFor(JOB.SEND_MESSAGE, { messageIds: [uuid] })).toBe(jobIdFor(JOB.SEND_MESSAGE, payload));
    expect(queueOfJobId(`deliver:${uuid}`)).toBe('message-delivery');
    expect(queueOfJobId('repeat:abc:123')).toBeUndefined();
    const prefixes = Object.values(JOB_DEFINITIONS).map((d) => d.idPrefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('names a batch by its first item, how many more, and a fingerprint of all of them', () => {
    const other = '7d1e4c2a-0b8f-4c55-9a51-2f6b4d9f8a10';
    const third = '9a51e4c2-0b8f-4c55-9a51-2f6b4d9f8a10';
    const batch = jobIdFor(JOB.SEND_MESSAGE, { messageIds: [uuid, other] });
    expect(batch).toMatch(new RegExp(`^deliver:${uuid}\\+1\\.[0-9a-f]{16}$`));
    expect(jobIdFor(JOB.SEND_MESSAGE, { messageIds: [uuid, other] })).toBe(batch);
    expect(jobIdFor(JOB.SEND_MESSAGE, { messageIds: [uuid, third] })).not.toBe(batch);
    expect(jobIdFor(JOB.SEND_MESSAGE, { messageIds: [other, uuid] })).not.toBe(batch);
    expect(queueOfJobId(batch)).toBe('message-delivery');
    const at = '2026-01-01T00:00:00.000Z';
    const receipt = (messageId: string, status: 'delivered' | 'read') => ({ messageId, recipientId: uuid, status, at });
    expect(jobIdFor(JOB.DELIVERY_CONFIRMATION, { receipts: [receipt(other, 'read')] })).toBe(`confirm:${other}:${uuid}:read`);
    expect(jobIdFor(JOB.DELIVERY_CONFIRMATION, { receipts: [receipt(other, 'read'), receipt(uuid, 'read')] })).not.toBe(
      jobIdFor(JOB.DELIVERY_CONFIRMATION, { receipts: [receipt(other, 'read'), receipt(third, 'read')] }),
    );
    expect(jobIdFor(JOB.INDEX_MESSAGE, { messageIds: [uuid], operation: 'update', revision: 7 })).toBe(`index:${uuid}:update:7`);
  });

  it('gives payloads no free-text field that could carry message content', () => {
    const allowed = new Set([
      'isUuid',
      'isIn',
      'isInt',
      'isBoolean',
      'isIso8601',
      'min',
      'max',
      'isArray',
      'arrayMinSize',
      'arrayMaxSize',
      'nestedValidation',
      'isTraceparent',
    ]);
    const storage = getMetadataStorage();
    const nested = [{ name: 'Receipt', payload: Receipt }];
    for (const definition of [...Object.values(JOB_DEFINITIONS), ...nested]) {
      const metadata = storage.getTargetValidationMetadatas(definition.payload, '', true, false);
      const kinds = new Map<string, Set<string>>();
      for (const m of metadata) {
        if (m.type === 'conditionalValidation') continue;
        const name = m.name ?? m.type;
        kinds.set(m.propertyName, (kinds.get(m.propertyName) ?? new Set()).add(name));
      }
      expect(kinds.size).toBeGreaterThan(0);
      for (const [property, names] of kinds) {
        expect({ payload: definition.payload.name, property, names: [...names].filter((n) => !allowed.has(n)) }).toEqual({
          payload: definition.payload.name,
          property,
          names: [],
        });
      }
    }
  });
});

// Compile-time checks: `tsc` (the typecheck target) fails if any of these starts compiling.
export function typeLevelChecks(): void {
  const deliveryJobs: JobsOfQueue<'message-delivery'>[] = ['send-message', 'delivery-confirmation'];
  // @ts-expect-error a notification job is not on the delivery queue
  const wrongQueue: JobsOfQueue<'message-delivery'> = 'send-notification';
  // @ts-expect-error payloads carry ids, not content
  const withContent: JobPayload<'send-message'> = { messageIds: [uuid], content: 'hi' };
  // @ts-expect-error a missing operation does not compile
  const missing: JobPayload<'index-message'> = { messageIds: [uuid], revision: 0 };
  void [deliveryJobs, wrongQueue, withContent, missing];
}
