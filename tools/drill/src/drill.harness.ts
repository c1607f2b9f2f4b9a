import { sql, TestStack } from '@mq/system-testing';
import { Recipient } from './drill.recipient';
import { Accepted, Sender } from './drill.sender';
import { Member, now, sleep } from './drill.support';

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
