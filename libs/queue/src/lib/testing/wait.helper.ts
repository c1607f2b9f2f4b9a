import Redis from 'ioredis';

// Redis probes the queue library's test helpers share (testing.ts, throwaway-cluster.ts, throwaway-sentinel.ts).

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
