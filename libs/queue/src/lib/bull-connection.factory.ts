import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import { QueueConfig } from './queue.config';

export type BullClientType = 'client' | 'subscriber' | 'bclient';
export type RedisConnection = Redis | Cluster;

/**
 * How queue commands behave while Redis is unreachable.
 * - `fail-fast` (the api): an enqueue fails in about a second, so a request never hangs;
 *   the outbox publishes the job once Redis is back.
 * - `wait` (the worker): commands wait for the reconnect, so a blip does not fail jobs.
 */
export type RedisOutagePolicy = 'fail-fast' | 'wait';

/**
 * Bull's connections, shared: every queue of a process uses one command connection and one
 * subscriber, and only the blocking connection is per queue (Bull 4's "reusing Redis
 * connections"). Six queues cost 8 connections instead of 18, and closing is ours to do:
 * Bull does not close connections it did not create.
 */
export class BullConnectionFactory {
  private shared: Partial<Record<'client' | 'subscriber', RedisConnection>> = {};
  private readonly unshared = new Set<RedisConnection>();
  private batched?: RedisConnection;

  constructor(
    private readonly config: QueueConfig,
    private readonly outagePolicy: RedisOutagePolicy,
  ) {}

  /** Bull's `createClient` option. */
  readonly createClient = (type: BullClientType): RedisConnection => {
    if (type === 'bclient') {
      // Kept even after Bull disconnects it: Bull reconnects blocking connections itself
      // (to abort a blocking pop), and every one must be closed at shutdown.
      const connection = this.connect(type);
      this.unshared.add(connection);
      return connection;
    }
    if (!this.shared[type]) {
      const connection = this.connect(type);
      // Every queue of the process listens on the shared connections.
      connection.setMaxListeners(0);
      this.shared[type] = connection;
    }
    return this.shared[type];
  };

  /** The shared command connection (created on first use). */
  commandConnection(): RedisConnection {
    return this.createClient('client');
  }

  /** Whether the connections go to a Redis Cluster (sharded pub/sub then, see realtime.adapter.ts). */
  get onCluster(): boolean {
    return this.config.topology.kind === 'cluster';
  }

  /**
   * A connection of its own on the same Redis (pub/sub for socket.io, say), closed with the
   * others at shutdown. It waits out outages like Bull's subscriber does. On a cluster,
   * `shardedSubscribers` gives it one subscriber per master, so SSUBSCRIBE reaches the master
   * owning each channel's slot (and follows it through failovers and resharding).
   */
  createDedicated(name: string, { shardedSubscribers = false }: { shardedSubscribers?: boolean } = {}): RedisConnection {
    const connection = this.open({ ...redisOptionsFor('subscriber', this.config, this.outagePolicy), connectionName: `mq:${name}` }, { shardedSubscribers });
    this.unshared.add(connection);
    return connection;
  }

  /**
   * A connection of its own for fire-and-forget publishing (socket.io events): commands of the
   * same tick leave in one write (autopipelining; on a cluster, one write per node), so
   * emitting to a batch of recipients is one round trip. Outages behave as on the command
   * connection. Closed with the others.
   */
  createPublisher(name: string): RedisConnection {
    const connection = this.open({ ...redisOptionsFor('client', this.config, this.outagePolicy), connectionName: `mq:${name}`, enableAutoPipelining: true });
    this.unshared.add(connection);
    return connection;
  }

  /**
   * The shared connection for many small independent commands (presence, rate limits): with
   * autopipelining, the commands of one tick leave in one write, per node on a cluster, where
   * an explicit pipeline would fail as soon as two of its keys lived on different masters.
   */
  batchedConnection(): RedisConnection {
    this.batched ??= this.createPublisher('batched');
    return this.batched;
  }

  async closeAll(): Promise<void> {
    this.batched = undefined;
    const connections = [...Object.values(this.shared), ...this.unshared];
    this.shared = {};
    this.unshared.clear();
    await Promise.all(connections.map((connection) => closeConnection(connection)));
  }

  private connect(type: BullClientType): RedisConnection {
    return this.open(redisOptionsFor(type, this.config, this.outagePolicy));
  }

  /** One server, a cluster from its seed nodes, or the primary a Sentinel names, with the same per-connection options. */
  private open(options: RedisOptions, clusterOnly: Pick<ClusterOptions, 'shardedSubscribers'> = {}): RedisConnection {
    const { topology } = this.config;
    let connection: RedisConnection;
    if (topology.kind === 'cluster') {
      const clusterOptions: ClusterOptions = {
        redisOptions: options,
        natMap: topology.natMap,
        // Bull reads these from the cluster's own options for its blocking and subscriber connections.
        enableReadyCheck: options.enableReadyCheck,
        enableAutoPipelining: options.enableAutoPipelining,
        clusterRetryStrategy: options.retryStrategy,
        // With TLS the nodes' certificates name hosts, not the IPs the cluster announces.
        dnsLookup: options.tls ? (address, callback) => callback(null, address) : undefined,
        ...clusterOnly,
      };
      connection = new Cluster(topology.nodes, clusterOptions);
    } else if (topology.kind === 'sentinel') {
      connection = new Redis({ ...options, sentinels: topology.sentinels, name: topology.name });
    } else {
      connection = new Redis(options);
    }
    connection.on('error', ignoreReconnectingError);
    return connection;
  }
}

/** ioredis options that let Bull 4 survive Redis restarts and failovers. */
export function redisOptionsFor(type: BullClientType, config: QueueConfig, outagePolicy: RedisOutagePolicy): RedisOptions {
  const { host, port, username, password, db, tls } = config.redis;
  const base: RedisOptions = {
    host,
    port,
    username,
    password,
    db,
    tls: tls ? {} : undefined,
    connectionName: `mq:${type}`,
    connectTimeout: 5_000,
    keepAlive: 10_000,
    // Reconnect for ever, backing off to 2 s: a worker must come back by itself after a
    // Redis restart instead of dying or spinning.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    // After a failover the old primary answers READONLY: reconnect to the new one.
    reconnectOnError: (error: Error) => (error.message.includes('READONLY') ? 2 : false),
  };
  if (type === 'client') {
    return {
      ...base,
      enableReadyCheck: true,
      maxRetriesPerRequest: outagePolicy === 'fail-fast' ? 1 : null,
      // No enableAutoPipelining: measured no gain (bench), and ioredis builds a Pipeline per tick
      // that copies every Bull script onto itself.
    };
  }
  // Bull refuses blocking and subscriber connections that retry per request or wait for a
  // ready check: they would stall its blocking pops and pub/sub after a reconnect.
  return { ...base, enableReadyCheck: false, maxRetriesPerRequest: null };
}

/** ioredis reconnects by itself (and /health reports the outage); an unheard 'error' event would crash the process. */
function ignoreReconnectingError(): void {
  // intentionally empty
}

async function closeConnection(connection: RedisConnection): Promise<void> {
  if (connection.status === 'end') return;
  // A quit that loses the race must not reject later, unobserved, and crash the process.
  const quit = connection.quit().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([quit, new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
  clearTimeout(timer);
  connection.disconnect();
}
