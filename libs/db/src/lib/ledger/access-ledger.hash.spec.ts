import { createHash } from 'node:crypto';
import { LEDGER_GENESIS_HASH, canonicalLedgerFields, chainLedgerHash, ledgerFieldsDigest, ledgerRowHash } from './access-ledger.hash';

const row = {
  seq: '258',
  actorId: '7f1c2a9e-1b2c-4d5e-8f90-123456789abc',
  subjectIds: ['0190a1b2-0000-7000-8000-000000000001'],
  conversationIds: ['0190a1b2-0000-7000-8000-000000000002'],
  messageIds: ['0190a1b2-0000-7000-8000-000000000003', '0190a1b2-0000-7000-8000-000000000004'],
  via: 'history' as const,
  ip: '10.0.0.7',
  userAgent: null,
  at: new Date('2026-12-07T06:00:00.123Z'),
};

describe('access ledger hash', () => {
  it('encodes a row canonically: versioned, fixed order, no seq (Postgres chains it), milliseconds in UTC', () => {
    expect(canonicalLedgerFields(row)).toBe(
      '["mq-access-ledger/1","7f1c2a9e-1b2c-4d5e-8f90-123456789abc",["0190a1b2-0000-7000-8000-000000000001"],["0190a1b2-0000-7000-8000-000000000002"],' +
        '["0190a1b2-0000-7000-8000-000000000003","0190a1b2-0000-7000-8000-000000000004"],"history","10.0.0.7",null,"2026-12-07T06:00:00.123Z"]',
    );
  });

  it('chains sha256(previous hash || seq as 8 bytes big-endian || fields digest), as Postgres does with int8send', () => {
    const digest = ledgerFieldsDigest(row);
    const expected = createHash('sha256')
      .update(Buffer.concat([LEDGER_GENESIS_HASH, Buffer.from('0000000000000102', 'hex'), digest]))
      .digest();
    expect(chainLedgerHash(LEDGER_GENESIS_HASH, '258', digest).equals(expected)).toBe(true);
    expect(ledgerRowHash(row, LEDGER_GENESIS_HASH).equals(expected)).toBe(true);
  });

  it('changes with any field, the seq or the previous hash', () => {
    const base = ledgerRowHash(row, LEDGER_GENESIS_HASH);
    const variants = [
      ledgerRowHash({ ...row, seq: '259' }, LEDGER_GENESIS_HASH),
      ledgerRowHash({ ...row, messageIds: row.messageIds.slice(0, 1) }, LEDGER_GENESIS_HASH),
      ledgerRowHash({ ...row, userAgent: '' }, LEDGER_GENESIS_HASH),
      ledgerRowHash({ ...row, at: new Date(row.at.getTime() + 1) }, LEDGER_GENESIS_HASH),
      ledgerRowHash(row, Buffer.alloc(32, 1)),
    ];
    for (const variant of variants) expect(variant.equals(base)).toBe(false);
  });
});
