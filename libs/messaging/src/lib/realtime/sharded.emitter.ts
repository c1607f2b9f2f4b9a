import { Logger } from '@nestjs/common';
import { MessageType, type ClusterMessage } from 'socket.io-adapter';
import { PacketType } from 'socket.io-parser';
import type { RedisConnection } from '@mq/queue';

/** The sender id socket.io's cluster adapters give emitters (they skip only their own uid). */
const EMITTER_UID = 'emitter';

/**
 * `@socket.io/redis-emitter` for the sharded adapter, which that package cannot be: it sends
 * PUBLISH in the classic adapter's format, and `createShardedAdapter` listens with SSUBSCRIBE
 * for socket.io's cluster messages. This writes those messages (JSON, as the adapter does for
 * packets without binary) to the channels the adapter reads, in its "dynamic" mode:
 *
 * - a room's events to `<prefix>#<nsp>#<room>#`, to which only api instances with a socket in
 *   that room subscribe, so one user's events touch one slot and the instances holding that
 *   user (the channels of different users spread over the masters);
 * - namespace-wide events and disconnects to `<prefix>#<nsp>#`, which every instance reads.
 *
 * Fire-and-forget like the emitter it stands in for: a failed publish is logged, and a client
 * that missed an event catches up with `sync`.
 */
export class ShardedEmitter {
  private readonly logger = new Logger(ShardedEmitter.name);

  constructor(
    private readonly redis: RedisConnection,
    private readonly channelPrefix: string,
  ) {}

  /** One publish per room, each on that room's channel; a socket is in one user room, so nothing arrives twice. */
  emitToRooms(nsp: string, rooms: readonly string[], event: string, payload: unknown): void {
    for (const room of rooms) this.publish(`${this.namespaceChannel(nsp)}${room}#`, broadcast(nsp, [room], event, payload));
  }

  emitToNamespace(nsp: string, event: string, payload: unknown): void {
    this.publish(this.namespaceChannel(nsp), broadcast(nsp, [], event, payload));
  }

  /** Disconnects are not room-channel messages in the adapter's routing: they go to the namespace channel. */
  disconnectRoom(nsp: string, room: string): void {
    const message: ClusterMessage = {
      uid: EMITTER_UID,
      nsp,
      type: MessageType.DISCONNECT_SOCKETS,
      data: { opts: { rooms: [room], except: [], flags: {} }, close: true },
    };
    this.publish(this.namespaceChannel(nsp), message);
  }

  private namespaceChannel(nsp: string): string {
    return `${this.channelPrefix}#${nsp}#`;
  }

  private publish(channel: string, message: ClusterMessage): void {
    this.redis.spublish(channel, JSON.stringify(message)).catch((error: unknown) => {
      this.logger.warn({ channel: channel.slice(0, channel.indexOf('#') + 1), err: error }, 'sharded publish failed; clients catch up with sync');
    });
  }
}

function broadcast(nsp: string, rooms: string[], event: string, payload: unknown): ClusterMessage {
  return {
    uid: EMITTER_UID,
    nsp,
    type: MessageType.BROADCAST,
    data: { packet: { type: PacketType.EVENT, data: [event, payload], nsp }, opts: { rooms, except: [], flags: {} } },
  };
}
