import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { TestStack } from '@mq/system-testing';

/** The document as checked in (npm run openapi writes it; npm test checks it against the code). */
const CHECKED_IN = JSON.parse(readFileSync(join(__dirname, '../../api/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};

/** The socket events' AsyncAPI document as checked in (generated from the contract's catalogs). */
const ASYNCAPI = JSON.parse(readFileSync(join(__dirname, '../../api/asyncapi.json'), 'utf8')) as {
  channels: Record<string, { address: string; messages: Record<string, { name: string }> }>;
  operations: Record<string, { action: 'send' | 'receive'; reply?: unknown }>;
};

describe('the OpenAPI document and its UI', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ apis: 1 });
  });

  afterAll(() => stack?.stop());

  it('serves at /docs/openapi.json exactly the checked-in document, every operation with a success answer', async () => {
    const response = await fetch(`${stack.api().url}/docs/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const served = (await response.json()) as typeof CHECKED_IN;
    expect(served).toEqual(CHECKED_IN);
    const operations = Object.entries(served.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(48);
    expect(operations.filter(({ op }) => !Object.keys(op.responses).some((status) => /^2\d\d$/.test(status))).map((o) => `${o.method} ${o.path}`)).toEqual([]);
  });

  it('serves Swagger UI at /docs under a CSP that runs only its own scripts', async () => {
    const response = await fetch(`${stack.api().url}/docs`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    // Every script is a file of the UI's own, none inline (the CSP would refuse it).
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="[^"]+"/);
      expect((body ?? '').trim()).toBe('');
    }
    const init = await fetch(`${stack.api().url}/docs/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    // The UI's init script carries the document itself.
    expect(await init.text()).toContain('School message pipeline API');
  });

  it('serves at /docs/asyncapi.json the checked-in AsyncAPI document, with every socket event and an ack for each one a client sends', async () => {
    const response = await fetch(`${stack.api().url}/docs/asyncapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(ASYNCAPI);
    const names = Object.values(ASYNCAPI.channels).flatMap((channel) => Object.values(channel.messages).map((message) => message.name));
    expect(names.filter((name) => !name.endsWith(' ack')).sort()).toEqual(Object.values(SOCKET_EVENTS).sort());
    const received = Object.values(ASYNCAPI.operations).filter((operation) => operation.action === 'receive');
    expect(received).toHaveLength(4);
    expect(received.every((operation) => operation.reply !== undefined)).toBe(true);
  });
});
