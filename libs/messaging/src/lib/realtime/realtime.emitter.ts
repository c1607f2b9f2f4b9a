import { Inject, Injectable } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import { ADMIN_NAMESPACE } from '@mq/messaging-contracts';
import type { AdminServerToClientCatalog, ServerToClientCatalog } from '@mq/messaging-contracts';
import { BullConnectionFactory } from '@mq/queue';
import { ShardedEmitter } from './sharded.emitter';

const MAIN_NAMESPACE = '/';

export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');

export interface RealtimeOptions {
  /** The socket.io Redis adapter's key; the api's adapter and every emitter must agree. */
  channelPrefix: string;
}

/** The room every socket of a user joins. */
export const userRoom = (userId: string): string => `user:${userId}`;

/**
 * Emits socket.io events from any process (the worker above all) to the users' sockets on
 * every api instance, through Redis pub/sub (sharded on a cluster: realtime.adapter.ts), on a
 * connection of its own whose publishes of one tick leave together. Fire-and-forget by
 * nature: a client that misses an event catches up with `sync`.
 */
@Injectable()
export class RealtimeEmitter {
  private readonly emitter?: Emitter;
  private readonly sharded?: ShardedEmitter;

  constructor(connections: BullConnectionFactory, @Inject(REALTIME_OPTIONS) options: RealtimeOptions) {
    const publisher = connections.createPublisher('emitter');
    if (connections.onCluster) this.sharded = new ShardedEmitter(publisher, options.channelPrefix);
    else this.emitter = new Emitter(publisher, { key: options.channelPrefix });
  }

  toUsers<E extends keyof ServerToClientCatalog>(userIds: readonly string[], event: E, payload: ServerToClientCatalog[E]): void {
    if (userIds.length === 0) return;
    const rooms = userIds.map(userRoom);
    if (this.sharded) this.sharded.emitToRooms(MAIN_NAMESPACE, rooms, event, payload);
    else this.emitter?.to(rooms).emit(event, payload);
  }

  /** Cuts every socket of the user, in both namespaces, on every api instance: their sessions have ended. */
  disconnectUser(userId: string): void {
    for (const nsp of [MAIN_NAMESPACE, ADMIN_NAMESPACE]) {
      if (this.sharded) this.sharded.disconnectRoom(nsp, userRoom(userId));
      else this.emitter?.of(nsp).in(userRoom(userId)).disconnectSockets(true);
    }
  }

  toAdmins<E extends keyof AdminServerToClientCatalog>(event: E, payload: AdminServerToClientCatalog[E]): void {
    if (this.sharded) this.sharded.emitToNamespace(ADMIN_NAMESPACE, event, payload);
    else this.emitter?.of(ADMIN_NAMESPACE).emit(event, payload);
  }
}
