import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS, requestIdFor } from './logging.config';

function exchange(headers: Record<string, string>) {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
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
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } }, sink);
    logger.info({ req: { headers: { authorization: 'Bearer abc', cookie: 'mq_session=abc' } }, body: { content: 'the secret message', password: 'pw' } });
    const line = lines.join('');
    expect(line).not.toMatch(/Bearer abc|mq_session=abc|the secret message|"pw"/);
    expect(line).toContain('[redacted]');
  });
});
