import { loginPathFor, safeNextPath } from '../src/lib/navigation';

describe('safeNextPath', () => {
  it.each([
    ['/', '/'],
    ['/dead-letters', '/dead-letters'],
    ['/audit?limit=50', '/audit?limit=50'],
  ])('keeps the same-origin path %s', (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  it.each([null, undefined, '', 'https://evil.example', '//evil.example', '/\\evil.example', `${'java'}script:alert(1)`, '/login', '/login?next=/'])(
    'falls back to / for %p',
    (input) => {
      expect(safeNextPath(input)).toBe('/');
    },
  );
});

describe('loginPathFor', () => {
  it('keeps slashes readable and encodes the rest', () => {
    expect(loginPathFor('/')).toBe('/login?next=/');
    expect(loginPathFor('/audit?limit=50&x=1')).toBe('/login?next=/audit%3Flimit%3D50%26x%3D1');
  });
});
