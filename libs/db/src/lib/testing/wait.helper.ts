import { createServer } from 'node:net';

// The waits and ports every test helper needs, kept here, the lowest node library, so that
// db's own tests and throwaway servers and every library above them share one definition.

/** Polls until `check` returns a value (not undefined), or fails with `description`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, description: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A TCP port nothing listens on now, on the loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('the loopback gave no port'))));
    });
  });
}
