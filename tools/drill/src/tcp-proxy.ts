import net from 'node:net';
import { freePort } from '@mq/system-testing';

/** A TCP proxy the drill controls: a network partition without root or firewall rules. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every open connection and holds new ones unanswered until restore(), as a cut link does. */
  cut(): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<net.Socket>();
  let partitioned = false;
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    // During the cut a new connection is accepted and then hears nothing: its connect timeout, not a refusal, tells the client.
    if (partitioned) return;
    const upstream = net.connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const dropAll = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    port,
    cut() {
      partitioned = true;
      dropAll();
    },
    restore() {
      partitioned = false;
      // Connections accepted during the cut were never joined to Redis: drop them so the client reconnects through.
      dropAll();
    },
    async stop() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
