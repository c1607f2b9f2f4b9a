import { failureSignature, normaliseError, topFrame } from './failure-fingerprint';

const STACK = (path: string, line: number) =>
  [
    `Error: Recipient 7f1c2a9e-1b2c-4d5e-8f90-123456789abc is no longer a participant`,
    `    at DeliveryProcessor.deliver (${path}:${line}:17)`,
    `    at async Promise.all (index 0)`,
  ].join('\n');

describe('failure fingerprint', () => {
  it('strips ids, timestamps, hashes and numbers from the first line of the error', () => {
    expect(
      normaliseError('Recipient 7f1c2a9e-1b2c-4d5e-8f90-123456789abc left at 2026-12-07T02:31:10.123Z after 3 tries (token 9f86d081884c7d65)\nmore detail'),
    ).toBe('Recipient <id> left at <time> after <n> tries (token <hex>)');
  });

  it('keeps words that merely contain hex letters', () => {
    expect(normaliseError('connect ECONNREFUSED 127.0.0.1:6379 deadbeef cafe')).toBe('connect ECONNREFUSED <n>.<n>:<n> deadbeef cafe');
  });

  it("takes the latest attempt's innermost frame without directories or positions", () => {
    const traces = [STACK('/build/a/dist/apps/worker/main.js', 10), `Error: other\n    at Later.step (file:///srv/x/worker.js:99:1)`].join('\n\n');
    expect(topFrame(traces)).toBe('Later.step (worker.js)');
    expect(topFrame(STACK('/srv/app/dist/apps/worker/main.js', 1203))).toBe('DeliveryProcessor.deliver (main.js)');
    expect(topFrame(null)).toBeNull();
    expect(topFrame('Error: no frames here')).toBeNull();
  });

  it('gives the same fingerprint to the same cause on another row, build path or line', () => {
    const one = failureSignature('send-message', 'Recipient 7f1c2a9e-1b2c-4d5e-8f90-123456789abc is no longer a participant', STACK('/a/main.js', 10));
    const two = failureSignature('send-message', 'Recipient 00000000-1b2c-4d5e-8f90-123456789abc is no longer a participant', STACK('/b/c/main.js', 977));
    expect(two).toEqual(one);
    expect(one.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(one.error).toBe('Recipient <id> is no longer a participant');
  });

  it('tells causes apart by job name, error and frame', () => {
    const base = failureSignature('send-message', 'boom', STACK('/a/main.js', 1));
    expect(failureSignature('notify', 'boom', STACK('/a/main.js', 1)).fingerprint).not.toBe(base.fingerprint);
    expect(failureSignature('send-message', 'bang', STACK('/a/main.js', 1)).fingerprint).not.toBe(base.fingerprint);
    expect(failureSignature('send-message', 'boom', null).fingerprint).not.toBe(base.fingerprint);
  });
});
