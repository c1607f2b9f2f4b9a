import { JOB } from './job-names';
import { traceIdOf, traceparentsOf } from './trace-context';
import { InvalidJobPayloadError, validateJobPayload } from './validate-job-payload';

const uuid = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';

describe('validateJobPayload', () => {
  it('accepts a valid payload and returns it typed', () => {
    const payload = validateJobPayload(JOB.SEND_MESSAGE, { messageIds: [uuid] });
    expect(payload.messageIds).toEqual([uuid]);
  });

  it('checks every item of a batch, and its size', () => {
    const receipt = { messageId: uuid, recipientId: uuid, status: 'read', at: '2026-01-01T00:00:00.000Z' };
    expect(validateJobPayload(JOB.DELIVERY_CONFIRMATION, { receipts: [receipt, receipt] }).receipts).toHaveLength(2);
    expect(() => validateJobPayload(JOB.DELIVERY_CONFIRMATION, { receipts: [receipt, { ...receipt, status: 'seen' }] })).toThrow(
      /receipts\.1\.status must be one of/,
    );
    expect(() => validateJobPayload(JOB.DELIVERY_CONFIRMATION, { receipts: [{ ...receipt, note: 'hello' }] })).toThrow(/property note should not exist/);
    expect(() => validateJobPayload(JOB.SEND_MESSAGE, { messageIds: [] })).toThrow(/messageIds must contain at least 1 elements/);
    expect(() => validateJobPayload(JOB.SEND_MESSAGE, { messageIds: [uuid, 'x'] })).toThrow(/each value in messageIds must be a UUID/);
  });

  it('takes W3C traceparents (tracing) and nothing else in their place', () => {
    const tp = `00-${'a1'.repeat(16)}-${'b2'.repeat(8)}-01`;
    expect(validateJobPayload(JOB.SEND_MESSAGE, { messageIds: [uuid, uuid], traceparents: [tp, ''] }).traceparents).toEqual([tp, '']);
    const receipt = { messageId: uuid, recipientId: uuid, status: 'read', at: '2026-01-01T00:00:00.000Z' };
    expect(traceparentsOf(validateJobPayload(JOB.DELIVERY_CONFIRMATION, { receipts: [{ ...receipt, traceparent: tp }, receipt] }))).toEqual([tp]);
    for (const bad of ['the plaintext', `00-${'0'.repeat(32)}-${'b2'.repeat(8)}-01`, tp.toUpperCase(), `${tp} `]) {
      expect(() => validateJobPayload(JOB.SEND_MESSAGE, { messageIds: [uuid], traceparents: [bad] })).toThrow(/traceparents must be a W3C traceparent/);
    }
    expect(() => validateJobPayload(JOB.DELIVERY_CONFIRMATION, { receipts: [{ ...receipt, traceparent: '' }] })).toThrow(
      /traceparent must be a W3C traceparent/,
    );
    expect(traceIdOf(tp)).toBe('a1'.repeat(16));
    expect(traceIdOf('nope')).toBeUndefined();
  });

  it('refuses message content riding along', () => {
    expect(() =>
      validateJobPayload(JOB.SEND_MESSAGE, {
        messageIds: [uuid],
        content: 'the plaintext',
      }),
    ).toThrow(/property content should not exist/);
  });

  it('names every broken field', () => {
    try {
      validateJobPayload(JOB.CLEANUP_MESSAGES, { runId: 'x', cleanupType: 'everything', retentionDays: 0, batchSize: 10, dryRun: 'no' });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidJobPayloadError);
      const problems = (error as InvalidJobPayloadError).problems.join('\n');
      expect(problems).toMatch(/runId must be a UUID/);
      expect(problems).toMatch(/cleanupType must be one of/);
      expect(problems).toMatch(/retentionDays must not be less than 1/);
      expect(problems).toMatch(/dryRun must be a boolean/);
    }
  });

  it('refuses a payload that is not an object', () => {
    expect(() => validateJobPayload(JOB.BATCH_SEND, 'batch')).toThrow(InvalidJobPayloadError);
    expect(() => validateJobPayload(JOB.BATCH_SEND, null)).toThrow(/must be an object/);
  });
});
