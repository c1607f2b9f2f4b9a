import { MESSAGES_PAGE_MAX, type Message } from '@mq/messaging-contracts';
import { ConversationInbox, MessagingClient, type MessagePageSource, RealtimeConnection } from '@mq/messaging-client';
import { Member, describe, healthy, now, sleep } from './drill.support';

export interface Arrival {
  at: number;
  via: 'live' | 'catch-up';
}

/**
 * A recipient as a real app behaves: one socket (auto `message:delivered`), a
 * ConversationInbox that dedupes by id, a catch-up when a gap shows or after a reconnect, and
 * (with `failover`) a move to another api instance when its own goes away.
 */
export class Recipient {
  readonly inbox: ConversationInbox;
  readonly arrivals = new Map<string, Arrival>();
  /** `message:new` for a message already held: a redelivery the inbox absorbed. */
  redelivered = 0;
  failovers = 0;
  catchUps = 0;
  /** Receipts sent again after the server refused them (or the socket was down). */
  ackRetries = 0;
  readonly errors: string[] = [];
  private connection?: RealtimeConnection;
  private apiIndex = 0;
  private gapTimer?: NodeJS.Timeout;
  private catchUpChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly member: Member,
    readonly conversationId: string,
    private readonly apis: () => readonly string[],
    private readonly failover: boolean,
  ) {
    this.inbox = new ConversationInbox(conversationId);
  }

  get apiUrl(): string {
    return this.apis()[this.apiIndex] ?? '';
  }

  async connect(index = 0): Promise<void> {
    this.apiIndex = index;
    const client = new MessagingClient({ baseUrl: this.apiUrl, token: this.member.client.token, timeoutMs: 10_000 });
    const connection = client.connect({
      userId: this.member.id,
      transports: ['websocket'],
      // Failing over is ours to do (another instance); otherwise socket.io retries the same one.
      reconnection: this.failover ? false : { delayMs: 250, maxDelayMs: 1_000 },
    });
    connection.on('message:new', (message) => this.onLive(message));
    connection.onError((error) => this.errors.push(error.message));
    let dropped = false;
    connection.onStateChange(({ state }) => {
      if (this.closed || this.connection !== connection) return;
      if (state !== 'reconnecting' && state !== 'disconnected' && state !== 'connected') return;
      if (state === 'connected') {
        if (dropped) this.scheduleCatchUp(0);
        dropped = false;
        return;
      }
      if (dropped) return;
      dropped = true;
      // Without reconnection socket.io still reports "reconnecting" after a transport close: either means gone.
      if (this.failover) void this.failOver();
    });
    this.connection = connection;
    await connection.ready();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.gapTimer);
    this.connection?.disconnect();
  }

  /** Fetches what is missing: `sync` on the socket when connected, REST otherwise. Returns how many were new. */
  catchUp(): Promise<number> {
    const run = async (): Promise<number> => {
      this.catchUps += 1;
      const connection = this.connection;
      const rest = new MessagingClient({ baseUrl: this.apiUrl, token: this.member.client.token, timeoutMs: 10_000 });
      const source: MessagePageSource =
        connection?.connected === true
          ? { listMessages: async (conversationId, query) => ({ messages: await connection.sync(conversationId, query?.afterSeq ?? 0) }) }
          : rest;
      try {
        const { added } = await this.inbox.catchUp(source, { pageSize: MESSAGES_PAGE_MAX });
        const at = now();
        for (const message of this.inbox.messages) if (!this.arrivals.has(message.id)) this.arrivals.set(message.id, { at, via: 'catch-up' });
        return added;
      } catch (error) {
        this.errors.push(`catch-up: ${describe(error)}`);
        return 0;
      }
    };
    const next = this.catchUpChain.then(run, run);
    this.catchUpChain = next;
    return next;
  }

  private onLive(message: Message): void {
    if (message.conversationId !== this.conversationId) return;
    void this.acknowledge(message.id);
    if (!this.inbox.add(message)) {
      this.redelivered += 1;
      return;
    }
    this.arrivals.set(message.id, { at: now(), via: 'live' });
    // Messages of one conversation may arrive out of order (the worker runs jobs concurrently): wait before fetching.
    if (this.inbox.hasGap()) this.scheduleCatchUp(1_000);
  }

  /**
   * `message:delivered`, retried until the server takes it: the client library's
   * autoAckDelivered sends it once, so a receipt refused during an outage would leave the
   * delivery `sent` for good (counted in `ackRetries`).
   */
  private async acknowledge(messageId: string): Promise<void> {
    const started = now();
    while (!this.closed && now() - started < 60_000) {
      const connection = this.connection;
      try {
        if (connection?.connected) {
          await connection.ackDelivered(messageId);
          return;
        }
      } catch (error) {
        this.errors.push(`ack: ${describe(error)}`);
      }
      this.ackRetries += 1;
      await sleep(500);
    }
  }

  private scheduleCatchUp(delayMs: number): void {
    if (this.gapTimer) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.closed && (delayMs === 0 || this.inbox.hasGap())) void this.catchUp();
    }, delayMs);
  }

  private async failOver(): Promise<void> {
    this.failovers += 1;
    const apis = this.apis();
    for (let attempt = 0; attempt < 60 && !this.closed; attempt += 1) {
      for (let k = 1; k <= apis.length; k += 1) {
        const index = (this.apiIndex + k) % apis.length;
        if (!(await healthy(apis[index] ?? ''))) continue;
        try {
          await this.connect(index);
          await this.catchUp();
          return;
        } catch (error) {
          this.errors.push(`failover: ${describe(error)}`);
        }
      }
      await sleep(500);
    }
  }
}
