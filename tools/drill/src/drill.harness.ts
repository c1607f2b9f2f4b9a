import { MESSAGES_PAGE_MAX, type Message } from '@mq/messaging-contracts';
import { ApiError, ConversationInbox, MessagingClient, type MessagePageSource, RealtimeConnection } from '@mq/messaging-client';
import { sql, TestStack } from '@mq/system-testing';

export type Member = { id: string; client: MessagingClient };

export const now = (): number => performance.now();

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function healthy(url: string): Promise<boolean> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` <- ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 160);
}

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

export interface Accepted {
  id: string;
  clientMessageId: string;
  sentAt: number;
  acceptedAt: number;
}

/** Sends with retries: a network error, a timeout or a 5xx is retried with the same clientMessageId (on the next api). */
export class Sender {
  readonly accepted = new Map<string, Accepted>();
  attempted = 0;
  unconfirmed = 0;
  retries = 0;
  readonly errors = new Map<string, number>();
  private readonly clients = new Map<string, MessagingClient>();

  constructor(
    readonly member: Member,
    readonly conversationId: string,
    private readonly apis: () => readonly string[],
  ) {}

  client(index: number): MessagingClient {
    const url = this.apis()[index % this.apis().length] ?? '';
    let client = this.clients.get(url);
    if (!client) {
      client = new MessagingClient({ baseUrl: url, token: this.member.client.token, timeoutMs: 10_000 });
      this.clients.set(url, client);
    }
    return client;
  }

  async send(clientMessageId: string, apiIndex = 0, giveUpAfterMs = 30_000): Promise<Accepted | undefined> {
    this.attempted += 1;
    const sentAt = now();
    let index = apiIndex;
    for (;;) {
      try {
        const { body } = await this.client(index).sendMessage({
          conversationId: this.conversationId,
          content: `drill ${clientMessageId}`,
          clientMessageId,
        });
        const accepted = { id: body.message.id, clientMessageId, sentAt, acceptedAt: now() };
        this.accepted.set(clientMessageId, accepted);
        return accepted;
      } catch (error) {
        const key = describe(error);
        this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
        const retryable = !(error instanceof ApiError) || error.status >= 500 || error.status === 429 || error.status === 408;
        if (!retryable || now() - sentAt > giveUpAfterMs) {
          this.unconfirmed += 1;
          return undefined;
        }
        this.retries += 1;
        index += 1;
        await sleep(250);
      }
    }
  }
}

export interface Pair {
  sender: Sender;
  recipient: Recipient;
}

export interface PairsOptions {
  pairs: number;
  /** Urls of the api instances, read when needed (a restarted instance keeps its url). */
  apis: () => readonly string[];
  /** Recipients move to another instance when theirs goes away (api-kill). */
  failover?: boolean;
  /** Instance the recipients connect to first. */
  recipientApi?: number;
}

/** Senders and recipients in direct conversations, recipients connected and listening. */
export async function createPairs(stack: TestStack, options: PairsOptions): Promise<Pair[]> {
  const members = (await stack.users(options.pairs * 2, 0, 'drill')) as Member[];
  const pairs: Pair[] = [];
  for (let i = 0; i < options.pairs; i += 1) {
    const sender = members[2 * i] as Member;
    const recipient = members[2 * i + 1] as Member;
    const { body: conversation } = await sender.client.createConversation({ type: 'direct', participantIds: [recipient.id] });
    const listener = new Recipient(recipient, conversation.id, options.apis, options.failover ?? false);
    await listener.connect(options.recipientApi ?? 0);
    pairs.push({ sender: new Sender(sender, conversation.id, options.apis), recipient: listener });
  }
  return pairs;
}

export interface LoadOptions {
  ratePerSecond: number;
  durationMs: number;
  label: string;
  /** Which api a message is first sent to (default: the first). */
  apiFor?: (index: number) => number;
}

/** Open-loop load: sends leave on schedule, round robin over the pairs; resolves when every send settled. */
export async function runLoad(pairs: readonly Pair[], options: LoadOptions): Promise<void> {
  const sends: Promise<unknown>[] = [];
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const t0 = now();
  let index = 0;
  while (index < total) {
    const due = Math.min(total, Math.floor(((now() - t0) / 1000) * options.ratePerSecond));
    for (; index < due; index += 1) {
      const pair = pairs[index % pairs.length] as Pair;
      sends.push(pair.sender.send(`${options.label}-${index}`, options.apiFor?.(index) ?? 0));
    }
    await sleep(5);
  }
  await Promise.all(sends);
}

export interface DrillCounts {
  /** Distinct messages the senders tried to send. */
  sent: number;
  /** Answered 2xx (after retries with the same clientMessageId if needed). */
  accepted: number;
  /** Never answered 2xx before the senders gave up (not lost: never accepted). */
  unconfirmed: number;
  retries: number;
  receivedLive: number;
  caughtUp: number;
  /** Messages a recipient holds more than once after dedupe (same clientMessageId, different ids): must be 0. */
  duplicated: number;
  /** Accepted messages a recipient does not hold even after catch-up: must be 0. */
  lost: number;
  /** Redeliveries the inbox deduplicated (at-least-once emission; harmless). */
  redelivered: number;
  deliveryRows: number;
  /** Delivery rows recorded delivered (or read). */
  delivered: number;
}

export interface Settled {
  counts: DrillCounts;
  /** Fault to the first live arrival of a message sent after the fault. */
  recoveredMs?: number;
  /** Fault to the moment every message accepted so far was held by its recipient (live or caught up). */
  drainedMs?: number;
  /** Fault to every delivery row recorded delivered (polled, so within ~250 ms). */
  recordedMs?: number;
  /** The api instances that answered the senders, if the drill cares. */
  errors: string[];
}

/**
 * After the load: waits for recipients to hold every accepted message (their own gap and
 * reconnect catch-ups included), runs a last catch-up, then waits for the delivery rows to be
 * recorded delivered, and counts.
 */
export async function settle(stack: TestStack, pairs: readonly Pair[], faultAt: number | undefined, waitMs = 20_000): Promise<Settled> {
  const expected = (): { pair: Pair; accepted: Accepted }[] =>
    pairs.flatMap((pair) => [...pair.sender.accepted.values()].map((accepted) => ({ pair, accepted })));
  const deadline = now() + waitMs;
  while (now() < deadline && !expected().every(({ pair, accepted }) => pair.recipient.inbox.has(accepted.id))) await sleep(100);
  for (const pair of pairs) await pair.recipient.catchUp();

  const all = expected();
  const ids = all.map(({ accepted }) => accepted.id);
  let rows = { total: 0, delivered: 0 };
  let recordedAt: number | undefined;
  const rowsDeadline = now() + 30_000;
  do {
    const [row] = await sql<{ total: number; delivered: number }>(
      stack.database.url,
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status IN ('delivered', 'read'))::int AS delivered
       FROM message_deliveries WHERE message_id = ANY($1::uuid[])`,
      [ids],
    ).catch(() => [undefined]);
    if (row) rows = row;
    if (rows.total === ids.length && rows.delivered === rows.total) {
      recordedAt = now();
      break;
    }
    await sleep(250);
  } while (now() < rowsDeadline);

  let lost = 0;
  let duplicated = 0;
  let receivedLive = 0;
  let caughtUp = 0;
  let recoveredAt: number | undefined;
  let drainedAt = 0;
  const sentAtById = new Map(all.map(({ accepted }) => [accepted.id, accepted.sentAt]));
  for (const pair of pairs) {
    const { inbox, arrivals } = pair.recipient;
    for (const accepted of pair.sender.accepted.values()) {
      const arrival = arrivals.get(accepted.id);
      if (!inbox.has(accepted.id) || !arrival) {
        lost += 1;
        continue;
      }
      if (arrival.via === 'live') receivedLive += 1;
      else caughtUp += 1;
      drainedAt = Math.max(drainedAt, arrival.at);
    }
    const byClientId = new Map<string, number>();
    for (const message of inbox.messages) {
      if (message.clientMessageId) byClientId.set(message.clientMessageId, (byClientId.get(message.clientMessageId) ?? 0) + 1);
    }
    for (const count of byClientId.values()) duplicated += count - 1;
    if (faultAt !== undefined) {
      for (const [id, arrival] of arrivals) {
        const sentAt = sentAtById.get(id);
        if (arrival.via === 'live' && sentAt !== undefined && sentAt > faultAt && (recoveredAt === undefined || arrival.at < recoveredAt)) {
          recoveredAt = arrival.at;
        }
      }
    }
  }
  const counts: DrillCounts = {
    sent: pairs.reduce((s, p) => s + p.sender.attempted, 0),
    accepted: all.length,
    unconfirmed: pairs.reduce((s, p) => s + p.sender.unconfirmed, 0),
    retries: pairs.reduce((s, p) => s + p.sender.retries, 0),
    receivedLive,
    caughtUp,
    duplicated,
    lost,
    redelivered: pairs.reduce((s, p) => s + p.recipient.redelivered, 0),
    deliveryRows: rows.total,
    delivered: rows.delivered,
  };
  const sendErrors = new Map<string, number>();
  for (const pair of pairs) for (const [message, n] of pair.sender.errors) sendErrors.set(message, (sendErrors.get(message) ?? 0) + n);
  const recipientErrors = new Map<string, number>();
  for (const pair of pairs)
    for (const message of pair.recipient.errors)
      recipientErrors.set(message.replace(/[0-9a-f-]{36}/g, '<id>'), (recipientErrors.get(message.replace(/[0-9a-f-]{36}/g, '<id>')) ?? 0) + 1);
  const ackRetries = pairs.reduce((s, p) => s + p.recipient.ackRetries, 0);
  const errors = [
    ...[...sendErrors].slice(0, 3).map(([m, n]) => `${n}× send: ${m.replace(/[0-9a-f-]{36}/g, '<id>')}`),
    ...[...recipientErrors].slice(0, 3).map(([m, n]) => `${n}× recipient: ${m}`),
    ...(ackRetries > 0 ? [`${ackRetries} delivery receipts sent again after a refusal or a dropped socket`] : []),
  ];
  return {
    counts,
    recoveredMs: faultAt !== undefined && recoveredAt !== undefined ? Math.round(recoveredAt - faultAt) : undefined,
    drainedMs: faultAt !== undefined && lost === 0 && all.length > 0 ? Math.round(Math.max(0, drainedAt - faultAt)) : undefined,
    recordedMs: faultAt !== undefined && recordedAt !== undefined ? Math.round(recordedAt - faultAt) : undefined,
    errors,
  };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** The checks every drill makes: nothing lost, nothing held twice, every delivery recorded. */
export function standardChecks(counts: DrillCounts): Check[] {
  return [
    { name: 'accepted', ok: counts.accepted > 0, detail: `${counts.accepted} of ${counts.sent}` },
    { name: 'lost', ok: counts.lost === 0, detail: String(counts.lost) },
    { name: 'duplicated', ok: counts.duplicated === 0, detail: String(counts.duplicated) },
    {
      name: 'delivered recorded',
      ok: counts.deliveryRows === counts.accepted && counts.delivered === counts.deliveryRows,
      detail: `${counts.delivered}/${counts.deliveryRows} rows for ${counts.accepted} messages`,
    },
  ];
}

export function closePairs(pairs: readonly Pair[]): void {
  for (const pair of pairs) pair.recipient.close();
}
