import fs from 'node:fs';
import { keyPatternsOf } from '@mq/queue';
import { scanKeys } from '@mq/queue/testing';
import http from 'node:http';
import path from 'node:path';
import Redis from 'ioredis';
import { io, Socket } from 'socket.io-client';
import { MessagingClient } from '@mq/messaging-client';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { sql, TestStack } from '@mq/system-testing';
import {
  MISSING,
  Prng,
  RawJson,
  URL_TEXT,
  fieldValues,
  forSocket,
  nestArrays,
  nestObjects,
  percentEncode,
  randomJson,
  randomText,
  toJson,
} from './fuzz-inputs';

/** FUZZ_SEED=<n> replays another run's cases; the default keeps CI's cases the same every time. */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_205);
/** Seeded random cases per endpoint (or event) and role, on top of the catalogue. */
const RANDOM_CASES = 12;
/** Requests in flight: enough to keep the api busy, few enough that its pool never makes 503s of them. */
const CONCURRENCY = 8;
const ACK_TIMEOUT_MS = 3_000;
/**
 * An ordinary user is refused an admin route (403) whatever the input, once the body parser has
 * read it: a seeded sample of the cases shows that, the whole catalogue would only cost time.
 */
const USER_CASES_ON_ADMIN_ROUTES = 30;
const API_SOURCES = path.resolve(__dirname, '../../api/src/app');

type Json = Record<string, unknown>;
type Member = { id: string; client: MessagingClient };

interface Fixture {
  conversationId: string;
  bobId: string;
  /** An id no row has (deterministic from the seed). */
  missing(): string;
}

/** One endpoint's valid request, which every case breaks in one or more places. */
interface Row {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Json;
  /**
   * A valid request would write (sign in, create, revoke, audit): every case then carries a
   * defect the edge refuses before the handler, so nothing a case varies can slip through.
   */
  writes?: true;
  /** Values that look valid but are extreme for this endpoint (dates, cursors): random text seldom finds them. */
  querySeeds?: Record<string, string[]>;
  /** Whole query strings combining extremes (one bad parameter at a time cannot reach them). */
  extraQueries?: string[];
}

const cursor = (at: string, id: string) => Buffer.from(`${at}|${id}`).toString('base64url');
const cursorSeeds = (fx: Fixture) =>
  [
    `2020-01-01T00:00:00.000Z|not-a-uuid`,
    `2020-01-01T00:00:00.000Z|${fx.missing()}:${fx.missing()}`,
    `-271821-04-20T00:00:00.000Z|${fx.missing()}`,
    `+275760-09-13T00:00:00.000Z|${fx.missing()}`,
    `0000-01-01T00:00:00.000Z|${fx.missing()}`,
    `2020-01-01T00:00:00.000Z|${fx.missing()}|more`,
    '|',
  ].map((text) => Buffer.from(text).toString('base64url'));
const DATE_SEEDS = [
  '0000-01-01T00:00:00Z',
  '2020-02-30T00:00:00Z',
  '2020-01-01T24:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2020-W01-1',
  '2020-001',
  '20200101T000000Z',
  '2020-01-01T00:00:00+99:99',
];

/**
 * Every REST endpoint, as the controllers spell it (the first test checks this table against
 * their decorators). Ids are of rows that do not exist unless a read needs a real one, so a case
 * that happens to be valid ends in a 404 rather than a write; queue names likewise.
 */
const ROUTES: Record<string, (fx: Fixture) => Row> = {
  'GET /health': () => ({}),
  'GET /metrics': () => ({}),
  'POST /auth/login': () => ({ body: { email: 'nobody@system.test', password: 'a-wrong-password' }, writes: true }),
  'POST /auth/logout': () => ({ writes: true }),
  // Unconfigured in this stack (no signing key or token): a valid request is a 404 and writes nothing.
  'POST /providers/mailgun/events': () => ({
    body: {
      signature: { timestamp: '1700000000', token: 'fuzz-token', signature: 'a'.repeat(64) },
      'event-data': { event: 'delivered', message: { headers: { 'message-id': 'fuzz@bounces.system.test' } } },
    },
  }),
  'POST /providers/twilio/status': () => ({}),
  'GET /me': () => ({}),
  'GET /me/notification-preferences': () => ({}),
  'PUT /me/notification-preferences': () => ({
    body: { channels: { inApp: true, email: true, push: false, sms: false }, quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/London' } },
    writes: true,
  }),
  'GET /me/notifications': () => ({ query: { unread: 'true', limit: '10' } }),
  'POST /me/notifications/:id/read': (fx) => ({ params: { id: fx.missing() } }),
  'POST /me/push-subscriptions': () => ({ body: { endpoint: 'https://push.example/fuzz', keys: { p256dh: 'key', auth: 'auth' } }, writes: true }),
  'POST /conversations': (fx) => ({ body: { type: 'group', participantIds: [fx.missing()], title: 'Fuzz' } }),
  'GET /conversations': () => ({}),
  // Bob is in the conversation already: the valid request is a 409.
  'POST /conversations/:id/participants': (fx) => ({ params: { id: fx.conversationId }, body: { userId: fx.bobId } }),
  'DELETE /conversations/:id/participants/:userId': (fx) => ({ params: { id: fx.missing(), userId: fx.missing() } }),
  'GET /conversations/:id/messages': (fx) => ({
    params: { id: fx.conversationId },
    query: { afterSeq: '0', limit: '10' },
    querySeeds: { afterSeq: ['9223372036854775807', '9223372036854775808', '1e18'] },
  }),
  // The fuzz conversation has no messages: its export reveals nothing, so the ledger gets no row.
  'GET /conversations/:id/export': (fx) => ({ params: { id: fx.conversationId } }),
  'POST /messages': (fx) => ({
    body: { conversationId: fx.missing(), content: 'x', clientMessageId: 'fuzz-1', priority: 'normal', sendAt: '2030-01-01T00:00:00Z' },
  }),
  'GET /messages/search': (fx) => ({ query: { q: 'hello', conversationId: fx.conversationId } }),
  'PATCH /messages/:id': (fx) => ({ params: { id: fx.missing() }, body: { content: 'x' } }),
  'DELETE /messages/:id': (fx) => ({ params: { id: fx.missing() } }),
  'POST /messages/:id/delivered': (fx) => ({ params: { id: fx.missing() } }),
  'POST /messages/:id/read': (fx) => ({ params: { id: fx.missing() } }),
  'GET /messages/:id/deliveries': (fx) => ({ params: { id: fx.missing() } }),
  'GET /messages/:id/timeline': (fx) => ({ params: { id: fx.missing() } }),
  'GET /jobs/search': () => ({ query: { q: 'deliver' }, querySeeds: { q: ['\\', '%', '_', 'deliver:', '00000000-0000-0000-0000-000000000000'] } }),
  // Unknown recipients: the valid request is a 400 before anything is staged.
  'POST /messages/broadcast': (fx) => ({ body: { recipientIds: [fx.missing()], content: 'x', chunkSize: 10, chunkDelay: 0 } }),
  'GET /messages/batches': (fx) => ({
    query: { limit: '10', status: 'running', cursor: cursor('2030-01-01T00:00:00.000Z', fx.missing()) },
    querySeeds: { cursor: cursorSeeds(fx) },
  }),
  'GET /messages/batches/:id': (fx) => ({ params: { id: fx.missing() } }),
  'GET /messages/batches/:id/detail': (fx) => ({ params: { id: fx.missing() } }),
  'POST /messages/batches/:id/pause': (fx) => ({ params: { id: fx.missing() } }),
  'POST /messages/batches/:id/resume': (fx) => ({ params: { id: fx.missing() } }),
  'POST /messages/batches/:id/cancel': (fx) => ({ params: { id: fx.missing() } }),
  'GET /dead-letters': (fx) => ({
    query: { limit: '10', cursor: cursor('2030-01-01T00:00:00.000Z', fx.missing()), fingerprint: '0123456789abcdef' },
    querySeeds: { cursor: cursorSeeds(fx) },
  }),
  'GET /dead-letters/groups': () => ({ query: { limit: '10' } }),
  'POST /dead-letters/:id/replay': (fx) => ({ params: { id: fx.missing() } }),
  // A cause no letter has: the dry run counts 0 and nothing is written.
  'POST /dead-letters/groups/:fingerprint/replay': () => ({ params: { fingerprint: '0123456789abcdef' }, body: { dryRun: true } }),
  'POST /dead-letters/groups/:fingerprint/discard': () => ({ params: { fingerprint: '0123456789abcdef' }, body: { dryRun: true } }),
  'POST /dead-letters/discards/:discardId/restore': (fx) => ({ params: { discardId: fx.missing() } }),
  'DELETE /dead-letters/:id': (fx) => ({ params: { id: fx.missing() } }),
  'GET /deliveries/failed': (fx) => ({
    query: {
      limit: '10',
      cursor: cursor('2030-01-01T00:00:00.000Z', `${fx.missing()}:${fx.missing()}`),
      queue: 'message-delivery',
      reason: 'timeout',
      from: '2020-01-01T00:00:00Z',
      to: '2030-01-01T00:00:00Z',
      batchId: fx.missing(),
    },
    querySeeds: { cursor: cursorSeeds(fx), from: DATE_SEEDS, to: DATE_SEEDS },
  }),
  // Even a retry that matches nothing is audited.
  'GET /deliveries/failed/groups': () => ({}),
  'POST /deliveries/retry': (fx) => ({ body: { messageIds: [fx.missing()] }, writes: true }),
  'GET /audit': (fx) => ({
    query: { limit: '10', cursor: cursor('2030-01-01T00:00:00.000Z', fx.missing()), action: 'user.', from: '2020-01-01T00:00:00Z' },
    querySeeds: { cursor: cursorSeeds(fx), from: DATE_SEEDS },
  }),
  'GET /audit/export': (fx) => ({
    query: { format: 'csv', actorId: fx.missing(), action: 'queue.', target: 'message-delivery', from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' },
    querySeeds: { from: DATE_SEEDS, to: DATE_SEEDS, action: ['\\', '%', '_', '.', 'queue..'] },
  }),
  'GET /ledger/accesses': (fx) => ({
    query: { subjectId: fx.missing(), actorId: fx.missing(), limit: '10', cursor: '9' },
    querySeeds: { cursor: ['0', '9223372036854775807', '99999999999999999999', '-1', '1e3'] },
  }),
  // The CSV export is audited (ledger.export).
  'GET /ledger/accesses.csv': (fx) => ({ query: { subjectId: fx.missing() }, writes: true }),
  'GET /ledger/verify': () => ({}),
  'GET /workers': () => ({}),
  'GET /schedules': () => ({}),
  // Unknown schedules: the valid request is a 404.
  'POST /schedules/pause': () => ({ body: { key: 'no-such-job::::0 2 * * *' } }),
  'POST /schedules/resume': () => ({ body: { key: 'no-such-job::::0 2 * * *' } }),
  'POST /schedules/run': () => ({ body: { key: 'no-such-job::::0 2 * * *' } }),
  'GET /redis': () => ({}),
  'GET /traffic': () => ({}),
  'POST /admin/encryption/rotate': () => ({ writes: true }),
  'GET /queue/metrics': () => ({}),
  'GET /messages/queue/metrics': () => ({}),
  'GET /queue/health': () => ({}),
  'POST /queue/:name/pause': () => ({ params: { name: 'no-such-queue' } }),
  'POST /queue/:name/resume': () => ({ params: { name: 'no-such-queue' } }),
  // A real queue: listing is a read, and its start/end reach Redis.
  'GET /queue/:name/jobs': () => ({
    params: { name: 'message-delivery' },
    query: { state: 'failed', start: '0', end: '10' },
    extraQueries: [
      'state=failed&start=99999999999999999999&end=99999999999999999999',
      'state=waiting&start=9007199254740993&end=9007199254740993',
      'state=delayed&start=4294967296&end=4294967300',
    ],
  }),
  'POST /queue/:name/retry-failed': () => ({ params: { name: 'no-such-queue' }, body: { dryRun: true } }),
  'POST /queue/:name/clean': () => ({ params: { name: 'no-such-queue' }, body: { state: 'failed', olderThanMs: 1000, dryRun: true } }),
  'POST /queue/:name/promote': () => ({ params: { name: 'no-such-queue' }, body: { dryRun: true } }),
  'GET /messages/jobs/:jobId': () => ({ params: { jobId: 'no-such-job' } }),
  'GET /jobs/:jobId/history': () => ({ params: { jobId: 'no-such-job' } }),
  'POST /messages/jobs/:jobId/retry': () => ({ params: { jobId: 'no-such-job' } }),
  'GET /alerts': () => ({ query: { state: 'open' } }),
  'GET /queue/metrics/history': () => ({ query: { minutes: '60' } }),
  'POST /users': () => ({
    body: { email: 'fuzz@system.test', password: 'a-long-password', displayName: 'Fuzz', role: 'user', phone: '+447700900123' },
    writes: true,
  }),
  'GET /users': (fx) => ({
    query: { limit: '10', search: 'fuzz', role: 'user', active: 'true', cursor: cursor('2030-01-01T00:00:00.000Z', fx.missing()) },
    querySeeds: { cursor: cursorSeeds(fx), search: ['\\', '%', '_', '00000000-0000-0000-0000-000000000000'] },
  }),
  'POST /users/:id/password-reset': (fx) => ({ params: { id: fx.missing() } }),
  'PATCH /users/:id': (fx) => ({
    params: { id: fx.missing() },
    body: { displayName: 'Fuzz', role: 'user', phone: '+447700900123', email: 'fuzz@system.test', active: true },
  }),
};

/** Every client-to-server event; the same rule for ids as ROUTES (sync reads the real conversation). */
const SOCKET_EVENTS_FUZZED: Record<string, (fx: Fixture) => Json> = {
  [SOCKET_EVENTS.MESSAGE_SEND]: (fx) => ({ conversationId: fx.missing(), content: 'x', clientMessageId: 'fuzz-1', priority: 'normal' }),
  [SOCKET_EVENTS.MESSAGE_DELIVERED]: (fx) => ({ messageId: fx.missing() }),
  [SOCKET_EVENTS.MESSAGE_READ]: (fx) => ({ messageId: fx.missing() }),
  [SOCKET_EVENTS.SYNC]: (fx) => ({ conversationId: fx.conversationId, afterSeq: 0 }),
};

// ---------------------------------------------------------------------------------------------
// What the controllers and gateways declare, read from their source.

/** A decorator's path argument(s); anything but literals fails, rather than a route going unfuzzed. */
function literalPaths(args: string, where: string): string[] {
  const text = args.trim();
  if (text === '') return [''];
  const items = /^\[([\s\S]*)\]$/
    .exec(text)?.[1]
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean) ?? [text];
  return items.map((item) => {
    const literal = /^(['"`])([^'"`]*)\1$/.exec(item);
    if (!literal) throw new Error(`${where}: not a literal path; teach this test to read it`);
    return literal[2] as string;
  });
}

function declaredRoutes(): string[] {
  const routes: string[] = [];
  const files = fs
    .readdirSync(API_SOURCES, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.controller.ts'));
  for (const file of files) {
    const source = fs.readFileSync(path.join(API_SOURCES, file), 'utf8');
    let prefixes: string[] | undefined;
    for (const [whole, kind, args] of source.matchAll(/@(Controller|Get|Post|Put|Patch|Delete|All|Options|Head)\(([^)]*)\)/g)) {
      const paths = literalPaths(args as string, `${file}: ${whole}`);
      if (kind === 'Controller') {
        prefixes = paths;
        continue;
      }
      if (!prefixes) throw new Error(`${file}: ${whole} before any @Controller`);
      for (const prefix of prefixes) {
        for (const route of paths) routes.push(`${(kind as string).toUpperCase()} /${[prefix, route].filter(Boolean).join('/')}`.replace(/\/+/g, '/'));
      }
    }
  }
  return routes.sort();
}

function declaredSocketEvents(): string[] {
  const names = SOCKET_EVENTS as Record<string, string>;
  const events: string[] = [];
  const files = fs
    .readdirSync(API_SOURCES, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.gateway.ts'));
  for (const file of files) {
    const source = fs.readFileSync(path.join(API_SOURCES, file), 'utf8');
    for (const [, key] of source.matchAll(/\bon\(SOCKET_EVENTS\.(\w+)/g)) events.push(names[key as string] ?? `unknown SOCKET_EVENTS.${key}`);
    for (const [, args] of source.matchAll(/@SubscribeMessage\(([^)]*)\)/g)) events.push(...literalPaths(args as string, `${file}: @SubscribeMessage`));
  }
  return events.sort();
}

// ---------------------------------------------------------------------------------------------
// Cases.

type Body = { json: unknown } | { raw: string | Buffer; contentType?: string | null; headers?: Record<string, string> };

interface HttpCase {
  route: string;
  label: string;
  method: string;
  path: string;
  /** Already percent-encoded. */
  query: string;
  body?: Body;
}

const isPlainObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RawJson);

/** Paths to every property and first array element of a template: each is a field to break. */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const keys: (string | number)[] = Array.isArray(value) ? (value.length > 0 ? [0] : []) : isPlainObject(value) ? Object.keys(value) : [];
  return keys.flatMap((key) => {
    const at = [...prefix, key];
    return [at, ...fieldPaths((value as Record<string | number, unknown>)[key], at)];
  });
}

function valueAt(value: unknown, at: (string | number)[]): unknown {
  return at.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

/** A deep copy that keeps RawJson as it is and own `__proto__` keys as keys (structuredClone does neither). */
function copyOf<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyOf) as T;
  if (!isPlainObject(value)) return value;
  const out: Json = {};
  for (const key of Object.keys(value)) Object.defineProperty(out, key, { value: copyOf(value[key]), enumerable: true, writable: true, configurable: true });
  return out as T;
}

/** A copy of the template with one field replaced (or left out). */
function withField(template: Json, at: (string | number)[], replacement: unknown): Json {
  const copy = copyOf(template);
  const parent = valueAt(copy, at.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = at[at.length - 1] as string | number;
  if (replacement !== MISSING) (parent as Record<string | number, unknown>)[key] = replacement;
  else if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return copy;
}

/** Bodies that are wrong as a whole: not objects, malformed, oversized, not JSON, or JSON dressed as something else. */
function wholeBodies(template: Json): [string, Body][] {
  const json = toJson(template);
  return [
    ['JSON null', { json: null }],
    ['JSON array', { json: [] }],
    ['array of the valid body', { json: [template] }],
    ['JSON string', { json: 'x' }],
    ['JSON number', { json: 1 }],
    ['JSON true', { json: true }],
    ['empty object', { json: {} }],
    ['unknown field', { json: { ...template, fuzzUnknown: 1 } }],
    ['__proto__ field', { json: Object.assign(JSON.parse('{"__proto__":{"isAdmin":true}}'), template) }],
    ['constructor field', { json: { ...template, constructor: { prototype: { isAdmin: true } } } }],
    ['prototype field', { json: { ...template, prototype: {} } }],
    ['Object.prototype method names as fields', { json: { ...template, hasOwnProperty: 1, toString: 1, valueOf: 1, toJSON: 1 } }],
    ['__proto__ deep inside an unknown field', { json: { ...template, x: [{ y: JSON.parse('{"__proto__":{}}') }] } }],
    ['40 nested objects', { json: { ...template, deep: nestObjects(40) } }],
    ['2,000 nested arrays as the body', { json: nestArrays(2_000) }],
    ['5,000 unknown fields', { json: { ...template, ...Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])) } }],
    ['malformed JSON', { raw: '{"a":' }],
    ['empty body', { raw: '' }],
    ['trailing comma', { raw: json.replace(/}$/, ',}') }],
    ['single quotes', { raw: json.replace(/"/g, "'") }],
    ['NaN literal', { raw: '{"a":NaN}' }],
    ['raw control character in a string', { raw: '{"a":"x\u0001y"}' }],
    ['byte order mark', { raw: `\ufeff${json}` }],
    ['bytes that are not UTF-8', { raw: Buffer.concat([Buffer.from('{"a":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]) }],
    ['overlong UTF-8', { raw: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]) }],
    ['UTF-16 with its charset', { raw: Buffer.from(json, 'utf16le'), contentType: 'application/json; charset=utf-16' }],
    ['latin1 charset', { raw: json, contentType: 'application/json; charset=iso-8859-1' }],
    ['70,000-character string (over the body limit)', { json: { ...template, big: 'a'.repeat(70_000) } }],
    ['100,000-element array (over the body limit)', { json: new Array<number>(100_000).fill(0) }],
    ['text/plain', { raw: json, contentType: 'text/plain' }],
    ['form-urlencoded', { raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' }],
    ['multipart', { raw: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', contentType: 'multipart/form-data; boundary=x' }],
    ['XML', { raw: '<a>1</a>', contentType: 'application/xml' }],
    ['vendor JSON type', { raw: json, contentType: 'application/vnd.api+json' }],
    ['no content type', { raw: json, contentType: null }],
    ['gzip claimed, not gzip', { raw: json, headers: { 'content-encoding': 'gzip' } }],
    ['unknown content encoding', { raw: json, headers: { 'content-encoding': 'x-fuzz' } }],
  ];
}

/** Query strings wrong for any route: unknown, prototype and method-name keys, bombs, junk. */
const QUERY_EXTRAS: [string, string][] = [
  ['unknown parameter', 'zz=1'],
  ['__proto__', '__proto__=1'],
  ['__proto__[x]', '__proto__[x]=1'],
  ['constructor[prototype][x]', 'constructor[prototype][x]=1'],
  ['hasOwnProperty', 'hasOwnProperty=1'],
  ['toString', 'toString=x'],
  ['NUL key', '%00=1'],
  ['empty pairs', '&&=&'],
  ['1,500 parameters', Array.from({ length: 1_500 }, (_, i) => `p${i}=1`).join('&')],
  ['12,000-character key', `${'k'.repeat(12_000)}=1`],
];

function httpCases(route: string, row: Row, rng: Prng): HttpCase[] {
  const [method, template] = route.split(' ') as [string, string];
  const params = row.params ?? {};
  const baseQuery = Object.entries(row.query ?? {}).map(([k, v]) => [k, encodeURIComponent(v)] as [string, string]);
  const pathWith = (overrides: Record<string, string> = {}) =>
    template.replace(/:(\w+)/g, (_, name: string) => overrides[name] ?? encodeURIComponent(params[name] ?? ''));
  const queryOf = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const cases: HttpCase[] = [];
  const add = (label: string, parts: { path?: string; query?: string; body?: Body }) =>
    cases.push({
      route,
      label,
      method,
      path: parts.path ?? pathWith(),
      query: parts.query ?? queryOf(baseQuery),
      body: 'body' in parts ? parts.body : row.body ? { json: row.body } : undefined,
    });

  for (const [name, valid] of Object.entries(params)) {
    const variants: [string, string][] = [
      ...URL_TEXT,
      ['upper case', encodeURIComponent(valid.toUpperCase())],
      ['valid + NUL', `${encodeURIComponent(valid)}%00`],
      ['valid + x', `${encodeURIComponent(valid)}x`],
      ['valid, truncated', encodeURIComponent(valid.slice(0, -1))],
      ['dot', '.'],
      ['dot dot', '..'],
    ];
    for (const [label, text] of variants) add(`path ${name}: ${label}`, { path: pathWith({ [name]: text }) });
  }

  for (const [name, valid] of baseQuery) {
    const others = baseQuery.filter(([key]) => key !== name);
    const seeds = (row.querySeeds?.[name] ?? []).map((seed): [string, string] => [`seed ${seed.slice(0, 40)}`, encodeURIComponent(seed)]);
    for (const [label, text] of [...URL_TEXT, ...seeds]) add(`query ${name}: ${label}`, { query: queryOf([...others, [name, text]]) });
    add(`query ${name}: missing`, { query: queryOf(others) });
    add(`query ${name}: repeated`, { query: queryOf([...others, [name, valid], [name, valid]]) });
    add(`query ${name}[]`, { query: queryOf([...others, [`${name}[]`, valid]]) });
    add(`query ${name}[a]`, { query: queryOf([...others, [`${name}[a]`, valid]]) });
    add(`query ${name}[__proto__][x]`, { query: queryOf([...others, [`${name}[__proto__][x]`, valid]]) });
    add(`query ${name}: 25 levels of brackets`, { query: queryOf([...others, [`${name}${'[a]'.repeat(25)}`, valid]]) });
  }
  for (const extra of row.extraQueries ?? []) add(`query: ${extra.slice(0, 60)}`, { query: extra });
  for (const [label, extra] of QUERY_EXTRAS) add(`query: ${label}`, { query: [queryOf(baseQuery), extra].filter(Boolean).join('&') });

  if (row.body) {
    for (const at of fieldPaths(row.body)) {
      for (const [label, value] of fieldValues(valueAt(row.body, at)))
        add(`body ${at.join('.')}: ${label}`, { body: { json: withField(row.body, at, value) } });
    }
  }
  for (const [label, body] of wholeBodies(row.body ?? {})) add(`body: ${label}`, { body });

  for (let i = 0; i < RANDOM_CASES; i++) {
    // One to three places at once, each given random junk.
    const overrides: Record<string, string> = {};
    let query = baseQuery;
    let body: Body | undefined = row.body ? { json: row.body } : undefined;
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const where = rng.int(3);
      const param = Object.keys(params).length > 0 ? rng.pick(Object.keys(params)) : undefined;
      if (where === 0 && param) overrides[param] = percentEncode(randomText(rng));
      else if (where === 1) {
        const key = baseQuery.length > 0 && rng.next() < 0.8 ? rng.pick(baseQuery)[0] : percentEncode(randomText(rng, 8));
        query = [...query.filter(([k]) => k !== key), [key, percentEncode(randomText(rng))]];
      } else if (row.body && rng.next() < 0.8) {
        // On top of the body so far: its fields, not the template's (an earlier change may have replaced a parent).
        const json: Json = body && 'json' in body && isPlainObject(body.json) ? body.json : row.body;
        const fields = fieldPaths(json);
        body = { json: fields.length > 0 ? withField(json, rng.pick(fields), randomJson(rng)) : randomJson(rng) };
      } else body = { json: randomJson(rng) };
    }
    add(`random #${i}`, { path: pathWith(overrides), query: queryOf(query), body });
  }
  return cases;
}

/** For routes whose valid request writes: a defect the edge refuses, in the body when it is a JSON object, else in the query. */
function poisoned(c: HttpCase): HttpCase {
  if (c.body && 'json' in c.body && isPlainObject(c.body.json)) return { ...c, body: { json: { ...c.body.json, fuzzPoison: true } } };
  return { ...c, query: [c.query, 'fuzz_poison=1'].filter(Boolean).join('&') };
}

function socketCases(template: Json, rng: Prng): [string, unknown[]][] {
  const [firstKey] = Object.keys(template) as [string];
  const cases: [string, unknown[]][] = [
    ['no payload at all', []],
    ['undefined', [undefined]],
    ['null', [null]],
    ['number', [0]],
    ['string', ['just a string']],
    ['true', [true]],
    ['array', [[]]],
    ['array of the valid payload', [[template]]],
    ['binary', [Buffer.from('binary')]],
    ['empty object', [{}]],
    ['unknown field', [{ ...template, fuzzUnknown: 1 }]],
    ['__proto__ field', [Object.assign(JSON.parse('{"__proto__":{"isAdmin":true}}'), template)]],
    ['constructor field', [{ ...template, constructor: { prototype: { isAdmin: true } } }]],
    ['Object.prototype method names as fields', [{ ...template, hasOwnProperty: 1, toString: 1, valueOf: 1, toJSON: 1 }]],
    ['40 nested objects', [{ ...template, [firstKey]: nestObjects(40) }]],
    ['2,000 nested arrays', [nestArrays(2_000)]],
    ['100,000-element array field', [{ ...template, [firstKey]: new Array<number>(100_000).fill(0) }]],
    ['70,000-character string field', [{ ...template, [firstKey]: 'a'.repeat(70_000) }]],
    ['an extra argument', [template, 'extra']],
  ];
  for (const at of fieldPaths(template)) {
    for (const [label, value] of fieldValues(valueAt(template, at))) {
      cases.push([`${at.join('.')}: ${label}`, [withField(template, at, value instanceof RawJson ? Number(value.text) : value)]]);
    }
  }
  for (let i = 0; i < RANDOM_CASES; i++) {
    const payload = rng.next() < 0.7 ? withField(template, rng.pick(fieldPaths(template)), randomJson(rng)) : randomJson(rng);
    cases.push([`random #${i}`, [forSocket(payload)]]);
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Sending and judging.

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** Raw HTTP: the path, query and bytes exactly as the case wrote them (fetch would normalise or refuse some). */
function send(port: number, token: string, c: HttpCase): Promise<Reply> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: string | Buffer | undefined;
  if (c.body && 'json' in c.body) {
    payload = toJson(c.body.json);
    headers['content-type'] = 'application/json';
  } else if (c.body) {
    payload = c.body.raw;
    if (c.body.contentType !== null) headers['content-type'] = c.body.contentType ?? 'application/json';
    Object.assign(headers, c.body.headers);
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: c.method, path: c.query ? `${c.path}?${c.query}` : c.path, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

/** What is wrong with a reply to a bad request, or undefined. */
function judge(reply: Reply): string | undefined {
  if (reply.status >= 500) return `${reply.status}`;
  if (reply.status < 200 || (reply.status >= 300 && reply.status < 400)) return `unexpected status ${reply.status}`;
  if (reply.status < 400) return undefined;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(reply.text) as Record<string, unknown>;
  } catch {
    return `${reply.status} without a JSON body (${reply.contentType}): ${reply.text.slice(0, 80)}`;
  }
  const shaped =
    body['statusCode'] === reply.status &&
    typeof body['message'] === 'string' &&
    body['message'].trim() !== '' &&
    typeof body['error'] === 'string' &&
    body['error'] !== '' &&
    typeof body['code'] === 'string' &&
    body['code'] !== '' &&
    (body['field'] === undefined || typeof body['field'] === 'string');
  if (!shaped) return `${reply.status} not in the error shape: ${reply.text.slice(0, 120)}`;
  if (/\bat .+\.[jt]s:\d+/.test(reply.text)) return `${reply.status} with a stack trace`;
  return undefined;
}

function codeOf(reply: Reply): string {
  try {
    return String((JSON.parse(reply.text) as { code?: unknown }).code ?? 'none');
  } catch {
    return 'not JSON';
  }
}

function judgeAck(ack: unknown): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `ack is not an object: ${String(ack)}`;
  const a = ack as Record<string, unknown>;
  if (a['ok'] === true) return undefined;
  if (typeof a['status'] === 'number' && a['status'] >= 500) return `ack status ${a['status']}`;
  const shaped =
    a['ok'] === false &&
    typeof a['status'] === 'number' &&
    a['status'] >= 400 &&
    typeof a['error'] === 'string' &&
    a['error'].trim() !== '' &&
    typeof a['code'] === 'string' &&
    a['code'] !== '' &&
    (a['field'] === undefined || typeof a['field'] === 'string');
  return shaped ? undefined : `ack not in the failure shape: ${JSON.stringify(ack).slice(0, 120)}`;
}

/** Runs every item, `size` at a time; a throw stops the whole pool (no stray requests after a failed test). */
async function inPool<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        try {
          await run(item);
        } catch (error) {
          next = items.length;
          throw error;
        }
      }
    }),
  );
}

function describeCase(c: HttpCase): string {
  const body = c.body === undefined ? '' : 'json' in c.body ? toJson(c.body.json) : `<${c.body.contentType ?? 'no type'}> ${c.body.raw.toString()}`;
  const clip = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}…(${text.length})` : text);
  return `${c.method} ${clip(c.query ? `${c.path}?${c.query}` : c.path)} ${clip(body)}`;
}

function tally(counts: Record<string, number>, key: string | number): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

describe('fuzz: bad input to every REST endpoint and socket event is a 4xx in the error shape and changes nothing', () => {
  let stack: TestStack;
  let fixture: Fixture;
  let tokens: { admin: string; user: string };
  let before: { tables: Record<string, string>; keys: string[] };
  /** Printed once at the end: what was sent where and what came back. */
  const summary = {
    seed: SEED,
    /** Per endpoint: requests sent, and the statuses they got. */
    endpoints: {} as Record<string, Record<string, number>>,
    statuses: {} as Record<string, number>,
    codes: {} as Record<string, number>,
    /** Per event: events sent, and the ack statuses (`ok` for a successful ack). */
    socketEvents: {} as Record<string, Record<string, number>>,
  };

  /** Rows and a content digest of every table: a refused request must not insert, update or delete anything. */
  const tables = async (): Promise<Record<string, string>> => {
    const names = await sql<{ name: string }>(
      stack.database.url,
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const rows = await sql<{ name: string; state: string }>(
      stack.database.url,
      names
        .map(
          ({ name }) =>
            `SELECT '${name}' AS name, count(*) || ' rows, ' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS state FROM "${name}" t`,
        )
        .join(' UNION ALL '),
    );
    return Object.fromEntries(rows.map((row) => [row.name, row.state]));
  };

  const queueKeys = async (): Promise<string[]> => {
    const redis = new Redis({ ...stack.queue.redis, tls: undefined, lazyConnect: true, maxRetriesPerRequest: 1 });
    const keys: string[] = [];
    try {
      await redis.connect();
      for (const pattern of keyPatternsOf(stack.queue.prefix)) keys.push(...(await scanKeys(redis, pattern)));
    } finally {
      redis.disconnect();
    }
    return keys.sort();
  };

  beforeAll(async () => {
    // No worker: everything that writes on its own (metric samples, alerts, job history, the
    // outbox relay, the cleanup schedule) runs there, so with it stopped no table and no queue
    // key may change at all, and the snapshot needs no exceptions. The fuzz needs only the api.
    stack = await TestStack.start({ apis: 1, worker: false });
    const [alice, bob] = (await stack.users(2, 0, 'fuzz')) as [Member, Member];
    const admin = await stack.admin();
    const adminId = (await admin.me()).id;
    // A conversation both roles belong to, with no messages: reading it records no receipts.
    const conversation = await alice.client.createConversation({ type: 'group', participantIds: [bob.id, adminId], title: 'Fuzz' });
    const ids = new Prng(SEED ^ 0x5eed);
    fixture = { conversationId: conversation.body.id, bobId: bob.id, missing: () => ids.uuid() };
    tokens = { admin: admin.token ?? '', user: alice.client.token ?? '' };
    before = { tables: await tables(), keys: await queueKeys() };
  });

  afterAll(async () => {
    agent.destroy();
    console.log(`fuzz summary (FUZZ_SEED=${SEED}):\n${JSON.stringify(summary, null, 1)}`);
    await stack?.stop();
  });

  it('has a fuzz row for every route the controllers declare and every event the gateways listen to', () => {
    expect(Object.keys(ROUTES).sort()).toEqual(declaredRoutes());
    expect(Object.keys(SOCKET_EVENTS_FUZZED).sort()).toEqual(declaredSocketEvents());
  });

  it('answers every bad request with a 4xx in the error shape, never a 5xx, as an admin and as a user', async () => {
    const rng = new Prng(SEED);
    const sampler = new Prng(SEED + 2);
    const work: { role: 'admin' | 'user'; c: HttpCase }[] = [];
    for (const [route, build] of Object.entries(ROUTES)) {
      const row = build(fixture);
      // An unknown query parameter: refused whoever asks, so the probe never writes; 403 first means admins only.
      const [method, template] = route.split(' ') as [string, string];
      const probe = {
        route,
        label: 'probe',
        method,
        path: template.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(row.params?.[name] ?? '')),
        query: 'fuzz_probe=1',
      };
      const adminOnly = (await send(stack.api().port, tokens.user, probe)).status === 403;
      for (const role of ['admin', 'user'] as const) {
        let cases = httpCases(route, row, rng).map((c) => (row.writes ? poisoned(c) : c));
        if (role === 'user' && adminOnly) cases = Array.from({ length: USER_CASES_ON_ADMIN_ROUTES }, () => cases[sampler.int(cases.length)] as HttpCase);
        work.push(...cases.map((c) => ({ role, c })));
      }
    }
    const failures: string[] = [];
    await inPool(work, CONCURRENCY, async ({ role, c }) => {
      const endpoint = (summary.endpoints[c.route] ??= {});
      tally(endpoint, 'sent');
      let reply: Reply;
      try {
        reply = await send(stack.api().port, tokens[role], c);
      } catch (error) {
        failures.push(`${c.route} [${role}] ${c.label}: no reply (${(error as Error).message})\n    ${describeCase(c)}`);
        return;
      }
      tally(summary.statuses, reply.status);
      tally(endpoint, reply.status);
      if (reply.status >= 400) tally(summary.codes, codeOf(reply));
      const problem = judge(reply);
      if (problem) failures.push(`${c.route} [${role}] ${c.label}: ${problem}\n    ${describeCase(c)}`);
    });
    // A 5xx is logged by the api with its stack: the owner's starting point.
    const logs = failures.some((f) => / 5\d\d/.test(f)) ? `\n--- api output ---\n${stack.api().tail(80)}` : '';
    expect({ failures: failures.length, first: failures.slice(0, 40).join('\n') + logs }).toEqual({ failures: 0, first: '' });
  });

  it('answers every bad socket event with a failed ack in the error shape, never a status >= 500', async () => {
    const rng = new Prng(SEED + 1);
    const failures: string[] = [];
    // Cases first, in a fixed order, so the seed alone decides them; then both roles at once.
    const cases = (['admin', 'user'] as const).map((role) => ({
      role,
      work: Object.entries(SOCKET_EVENTS_FUZZED).flatMap(([event, build]) => socketCases(build(fixture), rng).map(([label, args]) => ({ event, label, args }))),
    }));
    await Promise.all(
      cases.map(async ({ role, work }) => {
        const socket: Socket = io(stack.api().url, { auth: { token: tokens[role] }, transports: ['websocket'], forceNew: true, reconnection: false });
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve());
            socket.once('connect_error', reject);
          });
          await inPool(work, 16, async ({ event, label, args }) => {
            const counts = (summary.socketEvents[event] ??= {});
            tally(counts, 'sent');
            try {
              const ack: unknown = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, ...args);
              const { ok, status } = (typeof ack === 'object' && ack !== null ? ack : {}) as { ok?: boolean; status?: number };
              tally(counts, ok ? 'ok' : String(status));
              const problem = judgeAck(ack);
              if (problem) failures.push(`${event} [${role}] ${label}: ${problem}\n    ${toJson(args).slice(0, 200)}`);
            } catch (error) {
              // A failure too: the client awaiting this ack would hang, and no status could show a 5xx.
              tally(counts, 'no ack');
              failures.push(`${event} [${role}] ${label}: no ack within ${ACK_TIMEOUT_MS} ms (${(error as Error).message})\n    ${toJson(args).slice(0, 200)}`);
            }
          });
          if (!socket.connected) failures.push(`the ${role}'s socket was disconnected by the fuzz`);
        } finally {
          socket.disconnect();
        }
      }),
    );
    const logs = failures.some((f) => /status 5\d\d/.test(f)) ? `\n--- api output ---\n${stack.api().tail(80)}` : '';
    expect({ failures: failures.length, first: failures.slice(0, 40).join('\n') + logs }).toEqual({ failures: 0, first: '' });
  });

  it('changed nothing: every table and every queue key as before, and the api still healthy', async () => {
    expect(stack.api().running).toBe(true);
    expect((await fetch(`${stack.api().url}/health`)).status).toBe(200);
    const after = { tables: await tables(), keys: await queueKeys() };
    const changedTables = Object.keys({ ...before.tables, ...after.tables }).filter((name) => before.tables[name] !== after.tables[name]);
    expect(changedTables.map((name) => `${name}: ${before.tables[name]} -> ${after.tables[name]}`)).toEqual([]);
    expect({ added: after.keys.filter((k) => !before.keys.includes(k)), removed: before.keys.filter((k) => !after.keys.includes(k)) }).toEqual({
      added: [],
      removed: [],
    });
  });
});
