import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Options } from 'pino-http';
import { REDACTED_PATHS, loggableUrl, loggerParams, requestIdFor } from './logging.config';

function exchange(headers: Record<string, string>) {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
}

/** A stream that keeps what pino writes, line by line. */
function capture(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, sink };
}

describe('request ids', () => {
  it('keeps a sane caller id and echoes it', () => {
    const { req, res } = exchange({ 'x-request-id': 'abc-123' });
    expect(requestIdFor(req, res)).toBe('abc-123');
    expect(res.getHeader('x-request-id')).toBe('abc-123');
  });

  it('replaces an id that could forge log lines', () => {
    const { req, res } = exchange({ 'x-request-id': 'evil\n{"level":60}' });
    const id = requestIdFor(req, res);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('redaction', () => {
  it('never writes credentials or message content', () => {
    const { lines, sink } = capture();
    const logger = pino({ redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 'mq_session=abc' } }, body: { content: 'the secret message', password: 'pw' } });
    const line = lines.join('');
    expect(line).not.toMatch(/Bearer abc|mq_session=abc|the secret message|"pw"/);
    expect(line).toContain('[redacted]');
  });

  it('logs a request url without the words searched for', () => {
    expect(loggableUrl('/messages/search?q=inhaler%20dose&limit=20')).toBe('/messages/search?q=%5Bredacted%5D&limit=20');
    expect(loggableUrl('/users?search=ortiz&role=parent')).toBe('/users?search=%5Bredacted%5D&role=parent');
    expect(loggableUrl('/queue/message-delivery/jobs?state=failed')).toBe('/queue/message-delivery/jobs?state=failed');
    expect(loggableUrl('/health')).toBe('/health');
    const json = loggerParams({ service: 'api', level: 'info', format: 'json' }).pinoHttp as Options;
    const serializeReq = (json.serializers as { req: (req: { id: string; method: string; url: string }) => { url: string } }).req;
    expect(serializeReq({ id: 'r-1', method: 'GET', url: '/messages/search?q=epipen' }).url).not.toContain('epipen');
  });

  it('logs a response by its status, without the headers every response carries', () => {
    const json = loggerParams({ service: 'api', level: 'info', format: 'json' }).pinoHttp as Options;
    const serializeRes = (json.serializers as { res: (res: unknown) => unknown }).res;
    const { res } = exchange({});
    res.statusCode = 202;
    res.setHeader('x-frame-options', 'SAMEORIGIN');
    expect(serializeRes(res)).toEqual({ statusCode: 202 });
  });
});

describe('a terminal (LOG_FORMAT=pretty)', () => {
  const pretty = loggerParams({ service: 'api', level: 'info', format: 'pretty' }).pinoHttp as Options;

  it('tells a request in one short line: method, path without its query, status, time', () => {
    const { req, res } = exchange({});
    req.method = 'GET';
    req.url = '/messages/search?q=inhaler';
    res.statusCode = 200;
    expect(pretty.customSuccessMessage?.(req, res, 12.4)).toBe('GET /messages/search 200 12 ms');
    res.statusCode = 500;
    expect(pretty.customErrorMessage?.(req, res, new Error('boom'))).toBe('GET /messages/search 500: boom');
  });

  it("leaves out Nest's start-up chatter (a line per module and route), and only that", () => {
    const { lines, sink } = capture();
    const logger = pino({ hooks: pretty.hooks }, sink);
    logger.info({ context: 'RouterExplorer' }, 'Mapped {/messages, POST} route');
    logger.info({ context: 'InstanceLoader' }, 'DbModule dependencies initialized');
    logger.info({ context: 'Bootstrap', port: 3333 }, 'api listening');
    logger.warn('no context');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['api listening', 'no context']);
  });

  it('keeps production JSON as it was: pino-http messages, every field', () => {
    const json = loggerParams({ service: 'api', level: 'info', format: 'json' }).pinoHttp as Options;
    expect(json.customSuccessMessage).toBeUndefined();
    expect(json.hooks).toBeUndefined();
    expect(json.transport).toBeUndefined();
  });
});
