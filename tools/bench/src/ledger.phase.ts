import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccessLedgerRepository, AuditLogRepository, createDataSourceOptions } from '@mq/db';
import { round } from './process.probe';
import type { ProgressBar } from './progress.bar';
import { type Percentiles, mapLimit, percentiles } from './stats.math';
import type { UserSource } from './users.seeder';

export interface LedgerResult {
  messages: number;
  pageSize: number;
  reads: number;
  concurrency: number;
  /** One history page (`GET /conversations/:id/messages`), its ledger row included. */
  readMs: Percentiles;
  /** The mean page time over the messages on it. */
  msPerMessageRead: number;
  messagesReadPerSecond: number;
  /** The append alone, timed through AccessLedgerRepository against the run's database (started runs only). */
  append?: {
    oneAtATimeMs: Percentiles;
    /** A plain one-row insert and commit (an audit_log entry), one at a time: the floor any append stands on. */
    plainInsertMs: Percentiles;
    inFlight: number;
    concurrentPerSecond: number;
    concurrentMeanMs: number;
  };
}

export interface LedgerOptions {
  quick: boolean;
  /** The run's own database, to time the append directly; absent for a remote target. */
  databaseUrl?: string;
}

const PAGE = 50;
const CONCURRENCY = 4;

/**
 * The access ledger's cost per message read: a reader pages through a conversation's history
 * (each page appends one ledger row before it is answered), then the append is timed alone,
 * one at a time and with several in flight (they queue on the chain head's row lock).
 */
export async function measureLedger(users: UserSource, options: LedgerOptions, progress: ProgressBar): Promise<LedgerResult> {
  const messages = options.quick ? 100 : 200;
  const reads = options.quick ? 200 : 600;
  const [senderUser, readerUser] = await users.users(2, 'ledger');
  if (!senderUser || !readerUser) throw new Error('ledger: no users');
  const sender = users.client(senderUser);
  const reader = users.client(readerUser);
  const { body: conversation } = await sender.createConversation({ type: 'group', participantIds: [readerUser.id], title: 'Ledger bench' });
  await mapLimit(
    Array.from({ length: messages }, (_, i) => i),
    8,
    (i) => sender.sendMessage({ conversationId: conversation.id, content: `ledger bench message ${i}` }),
  );
  progress.log(`ledger: ${messages} messages sent; reading ${reads} history pages of ${PAGE}`);
  // One unmeasured pass: the first read of each message also records its delivery.
  for (let afterSeq = 0; afterSeq < messages; afterSeq += PAGE) await reader.listMessages(conversation.id, { afterSeq, limit: PAGE });
  const pages = messages / PAGE;
  let read = 0;
  const started = performance.now();
  const times = await mapLimit(
    Array.from({ length: reads }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const t0 = performance.now();
      const page = await reader.listMessages(conversation.id, { afterSeq: (i % pages) * PAGE, limit: PAGE });
      read += page.messages.length;
      return performance.now() - t0;
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const readMs = percentiles(times);
  const result: LedgerResult = {
    messages,
    pageSize: PAGE,
    reads,
    concurrency: CONCURRENCY,
    readMs,
    msPerMessageRead: round(readMs.mean / PAGE, 3),
    messagesReadPerSecond: Math.round(read / wallSeconds),
  };
  if (options.databaseUrl) result.append = await timeAppends(options.databaseUrl, options.quick ? 200 : 500, readerUser.id, senderUser.id);
  return result;
}

async function timeAppends(url: string, count: number, actorId: string, subjectId: string): Promise<NonNullable<LedgerResult['append']>> {
  const dataSource = await new DataSource(createDataSourceOptions({ url, poolSize: 8, applicationName: 'mq-bench-ledger', logging: false })).initialize();
  try {
    const ledger = new AccessLedgerRepository(dataSource);
    const record = () => ({
      actorId,
      subjectIds: [subjectId],
      conversationIds: [randomUUID()],
      messageIds: Array.from({ length: PAGE }, () => randomUUID()),
      via: 'history' as const,
      ip: '127.0.0.1',
      userAgent: 'mq-bench',
    });
    const one: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const t0 = performance.now();
      await ledger.append(record());
      one.push(performance.now() - t0);
    }
    const audit = new AuditLogRepository(dataSource);
    const plain: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const t0 = performance.now();
      await audit.record({ actorId: null, action: 'bench.ledger-baseline', target: String(i) });
      plain.push(performance.now() - t0);
    }
    const inFlight = 8;
    const started = performance.now();
    const concurrent = await mapLimit(
      Array.from({ length: count }, (_, i) => i),
      inFlight,
      async () => {
        const t0 = performance.now();
        await ledger.append(record());
        return performance.now() - t0;
      },
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      oneAtATimeMs: percentiles(one),
      plainInsertMs: percentiles(plain),
      inFlight,
      concurrentPerSecond: Math.round(count / seconds),
      concurrentMeanMs: percentiles(concurrent).mean,
    };
  } finally {
    await dataSource.destroy();
  }
}

/** The report's section. */
export function ledgerSection(l: LedgerResult): string[] {
  return [
    '## Access ledger: cost per message read',
    '',
    `${l.reads} history pages of ${l.pageSize} (${l.concurrency} in flight) over a ${l.messages}-message conversation; each page appends one ledger row before it is answered.`,
    '',
    '| page p50 (ms) | page p99 (ms) | page mean (ms) | ms per message read | messages read/s |',
    '|---:|---:|---:|---:|---:|',
    `| ${l.readMs.p50} | ${l.readMs.p99} | ${l.readMs.mean} | ${l.msPerMessageRead} | ${l.messagesReadPerSecond} |`,
    '',
    ...(l.append
      ? [
          `The append alone (AccessLedgerRepository, a ${l.pageSize}-id row): one at a time p50 ${l.append.oneAtATimeMs.p50} ms, mean ${l.append.oneAtATimeMs.mean} ms, p99 ${l.append.oneAtATimeMs.p99} ms ` +
            `(a plain one-row insert and commit: p50 ${l.append.plainInsertMs.p50} ms, mean ${l.append.plainInsertMs.mean} ms); ` +
            `${l.append.inFlight} in flight ${l.append.concurrentPerSecond} appends/s (mean ${l.append.concurrentMeanMs} ms, serialised on the chain head's lock). ` +
            `The api groups appends arriving together into one statement (BATCH_LINGER_MS), so under load a page pays less than that.`,
          '',
        ]
      : []),
  ];
}
