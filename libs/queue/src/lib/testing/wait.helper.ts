import { createServer } from 'node:net';
import Redis from 'ioredis';

// Small waits and probes the queue library's test helpers share (testing.ts, throwaway-cluster.ts, throwaway-sentinel.ts).

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
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Every key of one server that matches a pattern, by SCAN (never KEYS, which blocks). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** One command to the loopback server on `port`, over a short-lived connection. */
export async function askNode(port: number, ...command: string[]): Promise<string> {
  const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A node that is down (killed by a drill) answers with a rejected connect, not an unheard error event.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call(command[0] ?? 'PING', ...command.slice(1)));
  } finally {
    if (redis.status !== 'end') redis.disconnect();
  }
}
