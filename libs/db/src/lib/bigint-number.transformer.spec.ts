import { bigintNumberTransformer } from './bigint-number.transformer';
import { enumCheck } from './enum-check.helper';

describe('bigintNumberTransformer', () => {
  it('reads pg bigint strings as numbers and passes nulls through', () => {
    expect(bigintNumberTransformer.from('42')).toBe(42);
    expect(bigintNumberTransformer.from(null)).toBeNull();
    expect(bigintNumberTransformer.to(7)).toBe(7);
  });

  it('refuses to lose precision', () => {
    expect(() => bigintNumberTransformer.from('9007199254740993')).toThrow(RangeError);
  });
});

describe('enumCheck', () => {
  it('builds an IN check and refuses anything that would need quoting', () => {
    expect(enumCheck('status', ['open', 'resolved'])).toBe(`"status" IN ('open', 'resolved')`);
    expect(() => enumCheck('status', ["it's"])).toThrow();
    expect(() => enumCheck('Status"', ['a'])).toThrow();
    expect(() => enumCheck('status', [])).toThrow();
  });
});
