/**
 * Bad inputs for the fuzz test (fuzz.int-spec.ts): a seeded PRNG, so a failure reproduces from
 * its seed, and catalogues of values no endpoint should choke on. Values are JSON-able (bodies,
 * socket payloads) or already percent-encoded text (paths, query strings), so each is sent
 * exactly as written: a lone surrogate or a NUL must reach the server, not be "fixed" on the way.
 */

/** mulberry32: tiny and seedable; the same seed picks the same cases. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A version-4 shaped UUID no row has: unknown ids reach the handlers and find nothing. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16));
    hex[12] = '4';
    hex[16] = '8';
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** JSON text inserted as it is: numbers JSON.stringify cannot write (1e309 parses to Infinity). */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * JSON.stringify, except that
 * RawJson is written raw. `__proto__` own keys (from JSON.parse) are kept, as JSON.stringify does.
 */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => (item instanceof RawJson ? `#RawJson#${raws.push(item.text) - 1}#` : item)) ?? 'null';
  return raws.length === 0 ? text : text.replace(/"#RawJson#(\d+)#"/g, (_, i: string) => raws[Number(i)] as string);
}

/** A socket payload cannot carry raw JSON: the number it stands for (socket.io writes Infinity as null). Shallow values only. */
export function forSocket(value: unknown): unknown {
  if (value instanceof RawJson) return Number(value.text);
  if (Array.isArray(value)) return value.map(forSocket);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: forSocket((value as Record<string, unknown>)[key]), enumerable: true });
    return out;
  }
  return value;
}

export function nestArrays(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

export function nestObjects(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Strings that are odd, hostile or merely unusual Unicode; some are refused at the edge, some are valid text. */
export const ODD_TEXT: readonly [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['lone high surrogate', 'caf\ud800e'],
  ['lone low surrogate', '\udc00x'],
  ['swapped surrogate pair', '\ude00\ud83d'],
  ['RTL override', '\u202egnp.exe'],
  ['Arabic (RTL)', 'مرحبا بالعالم'],
  ['emoji with ZWJ', '\u{1F4F8}\u{1F468}\u200d\u{1F469}\u200d\u{1F467}'],
  ['500 combining marks', `e${'\u0301'.repeat(500)}`],
  ['zero-width characters', '\u200b\u200c\u200d\u2060\ufeff'],
  ['noncharacters', '\ufffe\uffff'],
  ['C0 and DEL controls', '\u0001\u0007\u001b[31m\u007f'],
  ['line separators', '\u2028\u2029'],
  ['fullwidth digits', '\uff11\uff12\uff13'],
  ['SQL-looking', "' OR '1'='1'; --"],
  ['LIKE wildcards and escapes', '%_\\'],
  ['whitespace only', ' \t\n '],
  ['percent-encoded NUL, literally', '%00'],
];

/**
 * Wrong types and awkward values for one field: whatever the field expects, most of these are
 * wrong for it (numbers, booleans, null, arrays and objects where text is expected and the
 * other way round), and a few are right in type but extreme. `template` is the field's valid value.
 */
export function fieldValues(template: unknown): [string, unknown][] {
  const text = typeof template === 'string' ? template : 'x';
  return [
    ['missing', MISSING],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['-0', new RawJson('-0')],
    ['1e20', 1e20],
    ['2^53+1', 2 ** 53 + 1],
    ['1e308', 1e308],
    ['1e309 (Infinity)', new RawJson('1e309')],
    ['-1e309 (-Infinity)', new RawJson('-1e309')],
    ['30-digit integer', new RawJson('123456789012345678901234567890')],
    ['true', true],
    ['false', false],
    ['null', null],
    ['empty array', []],
    ['array of the valid value', [template]],
    ['array of arrays', [[template]]],
    ['empty object', {}],
    ['object around the valid value', { value: template }],
    ['empty string', ''],
    ['"1"', '1'],
    ['"true"', 'true'],
    ['"null"', 'null'],
    ['10,001 characters', 'a'.repeat(10_001)],
    ['60,000 characters', 'a'.repeat(60_000)],
    ['valid value + NUL', `${text}\u0000`],
    ['valid value + RTL mark', `${text}\u200f`],
    ['valid value + combining mark', `${text}\u0301`],
    ['valid value, upper case', text.toUpperCase()],
    ['valid value with spaces around', ` ${text} `],
    ...ODD_TEXT,
    ['15 nested arrays (under the depth limit)', nestArrays(14)],
    ['40 nested objects', nestObjects(40)],
    ['2,000 nested arrays', nestArrays(2_000)],
    ['30,000-element array (inside the body limit)', new Array<number>(30_000).fill(0)],
    ['__proto__ object', JSON.parse('{"__proto__":{"isAdmin":true}}')],
    ['constructor.prototype object', { constructor: { prototype: { isAdmin: true } } }],
    ['Object.prototype method names as keys', { hasOwnProperty: 1, toString: 1, valueOf: 1, toJSON: 1 }],
  ];
}

/** Stands for "leave the field out". */
export const MISSING = Symbol('missing');

/**
 * Text for a path segment or a query value, already percent-encoded: some of it decodes to
 * odd Unicode, some does not decode at all (a lone surrogate's bytes, bytes that are not UTF-8).
 */
export const URL_TEXT: readonly [string, string][] = [
  ['empty', ''],
  ['word', 'abc'],
  ['-1', '-1'],
  ['0', '0'],
  ['1.5', '1.5'],
  ['1e309', '1e309'],
  ['-1e309', '-1e309'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['20 digits', '99999999999999999999'],
  ['2^53+1', '9007199254740993'],
  ['hex', '0x1F'],
  ['padded number', '%201%20'],
  ['true', 'true'],
  ['null', 'null'],
  ['NUL', 'a%00b'],
  ['lone surrogate bytes', '%ED%A0%80'],
  ['bytes that are not UTF-8', '%FF%FE'],
  ['malformed percent-escape', '%ZZ'],
  ['lone percent sign', '%'],
  ['RTL override', encodeURIComponent('\u202eabc')],
  ['emoji', encodeURIComponent('\u{1F4F8}\u{1F468}\u200d\u{1F469}')],
  ['200 combining marks', encodeURIComponent(`e${'\u0301'.repeat(200)}`)],
  ['Arabic', encodeURIComponent('مرحبا')],
  ['controls', '%01%1B%7F'],
  ['encoded slash', 'a%2Fb'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['SQL-looking', encodeURIComponent("' OR 1=1 --")],
  ['JSON text', encodeURIComponent('{"a":1}')],
  ['12,000 characters', 'a'.repeat(12_000)],
];

/** Code units random text is drawn from: mostly trouble, a little plain text. */
const PALETTE = [
  'a',
  'Z',
  '0',
  '9',
  '-',
  ':',
  '.',
  '/',
  '%',
  '\\',
  '"',
  "'",
  '<',
  '&',
  '{',
  '[',
  ' ',
  '\n',
  '\t',
  '\u0000',
  '\ud800',
  '\udc00',
  '\u202e',
  '\u200b',
  '\u0301',
  '\u{1F600}',
  'ß',
  '\ufb03',
  '\u0130',
  '\uffff',
  '\u2028',
  '\ufeff',
];

export function randomText(rng: Prng, maxLength = 40): string {
  return Array.from({ length: rng.int(maxLength + 1) }, () => rng.pick(PALETTE)).join('');
}

/** Percent-encodes text byte for byte, writing a lone surrogate as its (invalid) UTF-8 bytes rather than refusing it. */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(text[i] as string);
    }
  }
  return out;
}

/** A random JSON value, a few levels deep, of any type. */
export function randomJson(rng: Prng, depth = 3): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 31, -(2 ** 63), 1e21, Number.MAX_VALUE, Number.MIN_VALUE]);
    case 3:
      return new RawJson(rng.pick(['1e309', '-1e309', '1e-400', '-0', '99999999999999999999999']));
    case 4:
    case 5:
      return randomText(rng);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) {
        const key = rng.next() < 0.2 ? rng.pick(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']) : randomText(rng, 8);
        Object.defineProperty(out, key, { value: randomJson(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
  }
}
