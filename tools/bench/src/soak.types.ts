import type { RedisTarget } from './bench.cli';
import type { SendTransport } from './direct-messages.types';
import type { CpuShare, CpuSubjects } from './process.probe';
import type { SoakSample, SoakVerdict } from './soak.verdict';
import type { SoakSizes, TenthRates } from './soak-sizes.probe';

export interface SoakResult {
  requested: number;
  pairs: number;
  concurrency: number;
  backlogCap: number;
  contentLength: number;
  sent: number;
  accepted: number;
  rejected: number;
  received: number;
  delivered: number;
  notReceived: number;
  notDelivered: number;
  /** A second, different message for one clientMessageId: must be 0. */
  duplicated: number;
  /** The same message id again on the socket (at-least-once; clients drop it by id). */
  duplicateReceipts: number;
  sendingSeconds: number;
  /** Delivered when the last send was answered: where the drain begins on the chart. */
  deliveredWhenSendingEnded: number;
  drainSeconds: number;
  /** Delivered messages per second from the first send to the last `delivered`. */
  sustainedPerSecond: number;
  sampleEverySeconds: number;
  rssSource: string;
  redisDb: number;
  /** Early statuses and undelivered ids still held by the bench at the end (bounded bookkeeping). */
  trackedAtEnd: number;
  levelOffRule: string;
  verdicts: SoakVerdict[];
  /** Every readable series levelled off; undefined when none could be judged. */
  levelledOff: boolean | undefined;
  samples: SoakSample[];
  /** Sending was stopped by hand (Ctrl-C) before `requested`: what was sent is drained and reported. */
  stoppedEarly: boolean;
  /** Table and index sizes at each tenth delivered (with a database of the run's own). */
  sizes?: SoakSizes;
  /** Throughput of the first and the last tenth of the messages delivered. */
  tenths?: TenthRates;
  cpu: CpuShare;
  errors: Record<string, number>;
}

export interface SoakOptions {
  messages: number;
  transport: SendTransport;
  pairs: number;
  concurrency: number;
  redis: RedisTarget;
  readApiRss: () => Promise<number | undefined>;
  readWorkerRss: () => Promise<number | undefined>;
  rssSource: string;
  cores: number;
  cpuSubjects: CpuSubjects;
  /** With --start: the run's own database, whose table sizes are read at each tenth. */
  databaseUrl?: string;
  /** Aborted: no more sends; the drain and the report follow (a soak of hours can end early). */
  stopSending?: AbortSignal;
}
