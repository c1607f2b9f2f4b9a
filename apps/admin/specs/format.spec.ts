import { formatLatency } from '../src/lib/format';

describe('formatLatency', () => {
  it('keeps a latency short in the unit that fits it', () => {
    expect(formatLatency(null)).toBe('—');
    expect(formatLatency(4.24)).toBe('4.2 ms');
    expect(formatLatency(63.4)).toBe('63 ms');
    expect(formatLatency(999.4)).toBe('999 ms');
    expect(formatLatency(2_500)).toBe('2.5 s');
    expect(formatLatency(30_000)).toBe('30.0 s');
  });
});
