import { isTimestamp } from './timestamp.validator';

describe('isTimestamp', () => {
  it.each(['2026-01-31T08:00:00Z', '2026-01-31T08:00Z', '2024-02-29T23:59:59.999999+02:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'])(
    'takes %s',
    (value) => expect(isTimestamp(value)).toBe(true),
  );

  it.each([
    '2020-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2020-W01-1',
    '2020-01-01',
    '2020-01-01T24:00:00Z',
    '2020-13-01T00:00:00Z',
    '2020-01-01T00:00:00',
    ' 2020-01-01T00:00:00Z',
    20200101,
  ])('refuses %s', (value) => expect(isTimestamp(value)).toBe(false));
});
