import { AUDIT_CSV_HEADER, csvField, toAuditCsvLine } from './audit-csv.format';

describe('audit CSV', () => {
  it('quotes only what needs quoting, doubling quotes', () => {
    expect(csvField('queue.pause')).toBe('queue.pause');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(3)).toBe('3');
  });

  it('defuses a field a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-1)).toBe('-1');
  });

  it('writes one CRLF-terminated line per entry under the header', () => {
    expect(AUDIT_CSV_HEADER).toBe('id,at,actor_id,action,target,count\r\n');
    const line = toAuditCsvLine({ id: 'e1', at: '2026-12-07T00:00:00.000Z', actorId: null, action: 'queue.pause', target: 'message-delivery', count: null });
    expect(line).toBe('e1,2026-12-07T00:00:00.000Z,,queue.pause,message-delivery,\r\n');
  });
});
