import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestStack } from '@mq/system-testing';

/** The document as checked in (npm run openapi writes it; npm test checks it against the code). */
const CHECKED_IN = JSON.parse(readFileSync(join(__dirname, '../../api/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
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
});
