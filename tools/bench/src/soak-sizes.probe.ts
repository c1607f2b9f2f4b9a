import { sql } from '@mq/system-testing';
import { describeError, round } from './process.probe';

/** One user table at one checkpoint: what it occupies on disk and how much of it is dead. */
export interface TableSize {
  /** schema.table, the schema left out when it is public. */
  table: string;
  /** pg_table_size: heap + TOAST (+ free space and visibility maps), indexes not included. */
  tableBytes: number;
  /** pg_indexes_size: all the table's indexes. */
  indexesBytes: number;
  /** pg_relation_size of each index. */
  indexes: Record<string, number>;
  liveTuples: number;
  deadTuples: number;
  /** ISO time, or null when autovacuum has not run on it yet. */
  lastAutovacuum: string | null;
  autovacuumCount: number;
  /** Rows updated so far (n_tup_upd), and of them HOT (n_tup_hot_upd): no index entry written, nothing for vacuum to remove from the indexes. */
  updates: number;
  hotUpdates: number;
}

export interface SizeCheckpoint {
  /** `start` (before the first send), `10%` … `100%` of the requested messages delivered, `end` (after the drain). */
  label: string;
  /** Since the first send. */
  seconds: number;
  accepted: number;
  delivered: number;
  /** How long the read took. */
  readMs: number;
  tables: TableSize[];
}

export interface SoakSizes {
  checkpoints: SizeCheckpoint[];
  /** The first read that failed, if any (later ones are not retried). */
  error?: string;
}

/** Throughput over the first and the last tenth of the messages delivered: does the pipeline slow down as the tables grow? */
export interface TenthRates {
  first: { messages: number; seconds: number; perSecond: number };
  last: { messages: number; seconds: number; perSecond: number };
  /** last / first; the target is ≥ 0.9. */
  ratio: number;
}

export const TENTHS_TARGET_RATIO = 0.9;

interface SizeRow {
  schemaname: string;
  relname: string;
  table_bytes: string;
  indexes_bytes: string;
  n_live_tup: string;
  n_dead_tup: string;
  last_autovacuum: Date | null;
  autovacuum_count: string;
  n_tup_upd: string;
  n_tup_hot_upd: string;
  indexes: Record<string, number | string>;
}

/** Every user table of the database with its indexes: one statement, a few ms even at a million rows (sizes come from the catalog, not a scan). */
export async function readTableSizes(databaseUrl: string): Promise<TableSize[]> {
  const rows = await sql<SizeRow>(
    databaseUrl,
    `SELECT s.schemaname, s.relname, pg_table_size(s.relid) AS table_bytes, pg_indexes_size(s.relid) AS indexes_bytes,
            s.n_live_tup, s.n_dead_tup, s.last_autovacuum, s.autovacuum_count, s.n_tup_upd, s.n_tup_hot_upd,
            COALESCE((SELECT json_object_agg(i.indexrelname, pg_relation_size(i.indexrelid)) FROM pg_stat_user_indexes i WHERE i.relid = s.relid), '{}') AS indexes
     FROM pg_stat_user_tables s ORDER BY s.schemaname, s.relname`,
  );
  return rows.map((r) => ({
    table: r.schemaname === 'public' ? r.relname : `${r.schemaname}.${r.relname}`,
    tableBytes: Number(r.table_bytes),
    indexesBytes: Number(r.indexes_bytes),
    indexes: Object.fromEntries(Object.entries(r.indexes).map(([name, bytes]) => [name, Number(bytes)])),
    liveTuples: Number(r.n_live_tup),
    deadTuples: Number(r.n_dead_tup),
    lastAutovacuum: r.last_autovacuum ? new Date(r.last_autovacuum).toISOString() : null,
    autovacuumCount: Number(r.autovacuum_count),
    updates: Number(r.n_tup_upd),
    hotUpdates: Number(r.n_tup_hot_upd),
  }));
}

/**
 * The soak's checkpoints: at each tenth of the requested messages delivered, the time (for the
 * first/last tenth throughput) and, with a database of the run's own, its table and index sizes.
 * Reads run one at a time behind the senders, so a slow one never holds the soak up.
 */
export class SizeCheckpoints {
  readonly checkpoints: SizeCheckpoint[] = [];
  /** When delivered reached each tenth of the requested count. */
  readonly marks: { delivered: number; at: number }[] = [];
  private readonly thresholds: number[];
  private next = 0;
  private queue: Promise<void> = Promise.resolve();
  private error: string | undefined;
  private origin = 0;

  constructor(
    private readonly databaseUrl: string | undefined,
    requested: number,
    /** Read live at each checkpoint (the soak's tracker). */
    private readonly counts: { readonly accepted: number; readonly delivered: number },
  ) {
    this.thresholds = Array.from({ length: 10 }, (_, i) => Math.max(1, Math.ceil(((i + 1) * requested) / 10)));
  }

  /** Called on every delivered message: cheap unless a tenth was just crossed. */
  onDelivered(delivered: number, at: number): void {
    while (this.next < this.thresholds.length && delivered >= (this.thresholds[this.next] as number)) {
      this.next += 1;
      this.marks.push({ delivered, at });
      void this.take(`${this.next * 10}%`);
    }
  }

  /** The baseline, before the first send: growth is measured from it. */
  start(origin: number): Promise<void> {
    this.origin = origin;
    return this.take('start');
  }

  /** Queues a read; resolves when it (and those before it) are done. */
  take(label: string): Promise<void> {
    this.queue = this.queue.then(() => this.read(label));
    return this.queue;
  }

  /** The end, after the drain: a last read unless the 100% one already saw every message. */
  async finish(): Promise<SoakSizes | undefined> {
    await this.queue;
    const last = this.checkpoints[this.checkpoints.length - 1];
    if (!last || last.delivered !== this.counts.delivered || last.accepted !== this.counts.accepted) await this.take('end');
    if (!this.databaseUrl) return undefined;
    return { checkpoints: this.checkpoints, ...(this.error ? { error: this.error } : {}) };
  }

  private async read(label: string): Promise<void> {
    if (!this.databaseUrl || this.error) return;
    const started = performance.now();
    const { accepted, delivered } = this.counts;
    try {
      const tables = await readTableSizes(this.databaseUrl);
      this.checkpoints.push({
        label,
        seconds: round((started - this.origin) / 1000, 1),
        accepted,
        delivered,
        readMs: round(performance.now() - started),
        tables,
      });
    } catch (error) {
      this.error = `${label}: ${describeError(error)}`;
    }
  }
}

/** A table's growth since the start checkpoint, divided by the messages stored since then (undefined before any). */
export function bytesPerMessage(start: SizeCheckpoint, at: SizeCheckpoint, pick: (tables: readonly TableSize[]) => number | undefined): number | undefined {
  const messages = at.accepted - start.accepted;
  const before = pick(start.tables) ?? 0;
  const after = pick(at.tables);
  if (messages <= 0 || after === undefined) return undefined;
  return round((after - before) / messages, 1);
}

/**
 * Messages/s over the first tenth of those delivered (first send → the 10% mark) and over the
 * last (the 90% mark → the last delivered). Marks are taken at tenths of the requested count;
 * when fewer were delivered, the nearest marks inside the run are used.
 */
export function tenthRates(t0: number, marks: readonly { delivered: number; at: number }[], end: { delivered: number; at: number }): TenthRates | undefined {
  const first = marks.find((m) => m.delivered >= end.delivered / 10);
  const last = [...marks].reverse().find((m) => m.delivered <= (end.delivered * 9) / 10);
  if (!first || !last || first.at <= t0 || end.at <= last.at || end.delivered <= last.delivered) return undefined;
  const window = (messages: number, ms: number) => ({ messages, seconds: round(ms / 1000, 2), perSecond: round(messages / (ms / 1000)) });
  const a = window(first.delivered, first.at - t0);
  const b = window(end.delivered - last.delivered, end.at - last.at);
  // From the unrounded rates: a short soak's tenths are a few hundred ms.
  const ratio = b.messages / (end.at - last.at) / (a.messages / (first.at - t0));
  return { first: a, last: b, ratio: round(ratio, 2) };
}
