import { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage } from 'node:http';
import type { Server, ServerOptions } from 'socket.io';
import { createRealtimeAdapter } from '@mq/messaging';
import { BullConnectionFactory } from '@mq/queue';

export interface RedisIoAdapterOptions {
  /** Must equal the emitters' key (see realtimeChannelPrefix). */
  channelPrefix: string;
  /** Browser origins allowed to open a socket; requests without an Origin (non-browser clients) pass. */
  allowedOrigins: readonly string[];
}

/**
 * socket.io across api instances: the Redis adapter relays room broadcasts (and the worker's
 * emitter events) to every instance, sharded on a cluster (createRealtimeAdapter). Also enforces the Origin allow-list on the handshake.
 */
export class RedisIoAdapter extends IoAdapter {
  constructor(
    private readonly nestApp: INestApplicationContext,
    private readonly options: RedisIoAdapterOptions,
  ) {
    super(nestApp);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const allowed = new Set(this.options.allowedOrigins);
    const server: Server = super.createIOServer(port, {
      ...options,
      cors: { origin: [...allowed], credentials: true },
      allowRequest: (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => {
        const origin = request.headers.origin;
        callback(null, origin === undefined || allowed.has(origin));
      },
      // A dead client is noticed within ~45 s instead of the defaults' ~1 min.
      pingInterval: 20_000,
      pingTimeout: 25_000,
    });
    server.adapter(createRealtimeAdapter(this.nestApp.get(BullConnectionFactory), { channelPrefix: this.options.channelPrefix }));
    return server;
  }

  /**
   * No gateway here declares a message handler (their events are plain listeners), yet Nest
   * builds a disconnect observable for every socket from this call: four rxjs objects and
   * their closures that would live as long as the socket.
   */
  override bindMessageHandlers(...args: Parameters<IoAdapter['bindMessageHandlers']>): void {
    const [, handlers] = args;
    if (handlers.length > 0) super.bindMessageHandlers(...args);
  }
}
