import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Namespace } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import type { BullConnectionFactory } from '@mq/queue';
import type { RealtimeOptions } from './realtime.emitter';

/** A socket.io adapter constructor, as `server.adapter()` takes it. */
export type RealtimeAdapterConstructor = (nsp: Namespace) => Adapter;

/**
 * The socket.io adapter that relays room broadcasts, and the worker's events, between api
 * instances, on dedicated connections the factory closes at shutdown.
 *
 * - One Redis server (or Sentinel): classic pub/sub, `@socket.io/redis-adapter`.
 * - A Redis Cluster: sharded pub/sub (Redis 7), `createShardedAdapter` in its dynamic mode.
 *   Classic PUBLISH on a cluster is copied to every node over the cluster bus, so every master
 *   would carry every event; SPUBLISH stays on the master owning the channel's slot, and with
 *   a channel per room (one per user) the events spread over the masters. The worker publishes
 *   into the same channels through `ShardedEmitter`.
 */
export function createRealtimeAdapter(connections: BullConnectionFactory, options: RealtimeOptions): RealtimeAdapterConstructor {
  const pub = connections.createDedicated('socket.io pub');
  if (connections.onCluster) {
    const sub = connections.createDedicated('socket.io sub', { shardedSubscribers: true });
    return createShardedAdapter(pub, sub, { channelPrefix: options.channelPrefix, subscriptionMode: 'dynamic' });
  }
  const sub = connections.createDedicated('socket.io sub');
  return createAdapter(pub, sub, { key: options.channelPrefix });
}
