import { laterStatus, newClientMessageId, tickFor } from '../src/lib/chat';
import { isUuid, parseRecipientIds } from '../src/lib/recipients';

const A = '0b6f1f7e-2a4b-4c39-9d41-5b0c1f1a2b3c';
const B = '7d1e7c0a-1111-4222-8333-944455556666';

describe('parseRecipientIds', () => {
  it('takes ids one per line or separated by commas, semicolons and spaces; drops repeats; reports the rest', () => {
    const parsed = parseRecipientIds(`${A}\n${B.toUpperCase()}, "${A}" ; nope\n\n12345`);
    expect(parsed.ids).toEqual([A, B]);
    expect(parsed.duplicates).toBe(1);
    expect(parsed.invalid).toEqual(['nope', '12345']);
  });

  it('is empty for blank input', () => {
    expect(parseRecipientIds('  \n ')).toEqual({ ids: [], invalid: [], duplicates: 0 });
  });

  it('knows a uuid', () => {
    expect(isUuid(A)).toBe(true);
    expect(isUuid('deliver:' + A)).toBe(false);
  });
});

describe('chat receipts', () => {
  it('only ever moves a recipient forward', () => {
    expect(laterStatus(undefined, 'delivered')).toBe('delivered');
    expect(laterStatus('read', 'delivered')).toBe('read');
    expect(laterStatus('sent', 'read')).toBe('read');
    expect(laterStatus('delivered', 'failed')).toBe('delivered');
    expect(laterStatus('queued', 'failed')).toBe('failed');
    expect(laterStatus('failed', 'delivered')).toBe('delivered');
  });

  it('ticks by the least advanced recipient, or by the message without receipts', () => {
    expect(tickFor({ status: 'queued' }, undefined)).toBe('sent');
    expect(tickFor({ status: 'scheduled' }, new Map())).toBe('scheduled');
    expect(tickFor({ status: 'sent' }, new Map([[A, 'delivered']]))).toBe('delivered');
    expect(tickFor({ status: 'sent' }, new Map([[A, 'read']]))).toBe('read');
    expect(
      tickFor(
        { status: 'sent' },
        new Map([
          [A, 'read'],
          [B, 'delivered'],
        ]),
      ),
    ).toBe('delivered');
    expect(tickFor({ status: 'sent' }, new Map([[A, 'failed']]))).toBe('failed');
  });

  it('makes version 4 uuids for idempotency keys', () => {
    const id = newClientMessageId();
    expect(isUuid(id)).toBe(true);
    expect(id).not.toBe(newClientMessageId());
  });
});
