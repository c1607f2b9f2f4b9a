import type { SoakResult } from './soak.types';
import { type SizeCheckpoint, type TableSize, TENTHS_TARGET_RATIO, bytesPerMessage } from './soak-sizes.probe';

const fmt = (value: number | undefined): string => (value === undefined ? '–' : value.toLocaleString('en-US'));
const mb = (bytes: number | undefined): string => (bytes === undefined ? '–' : (bytes / 1024 ** 2).toFixed(2));
const byName = (table: string) => (tables: readonly TableSize[]) => tables.find((t) => t.table === table);

/** The first/last tenth throughput as its own row, with the target (last ≥ 0.9 × first). */
export function tenthsSection(soak: SoakResult): string[] {
  const t = soak.tenths;
  if (!t) return [];
  const cell = (w: typeof t.first) => `${fmt(w.perSecond)} msgs/s (${fmt(w.messages)} in ${w.seconds} s)`;
  const met = t.ratio >= TENTHS_TARGET_RATIO;
  return [
    '| | first 10% | last 10% | last / first | target |',
    '|---|---:|---:|---:|---|',
    `| first 10% / last 10% throughput | ${cell(t.first)} | ${cell(t.last)} | **${t.ratio}** | ≥ ${TENTHS_TARGET_RATIO}: ${met ? 'met' : '**missed**'} |`,
    '',
    'First 10%: from the first send until a tenth of the messages were recorded delivered; last 10%: from nine tenths to the last one (the drain included). ' +
      'A pipeline that slows down as its tables and indexes grow shows a ratio below 1.',
    '',
  ];
}

/** Tables that grew over the soak, or hold dead rows: the others stay out of the way (they are all in the JSON). */
function tablesOfInterest(start: SizeCheckpoint, last: SizeCheckpoint): { shown: TableSize[]; unchanged: string[] } {
  const shown: TableSize[] = [];
  const unchanged: string[] = [];
  for (const table of last.tables) {
    const before = byName(table.table)(start.tables);
    const grew = table.tableBytes + table.indexesBytes > (before ? before.tableBytes + before.indexesBytes : 0);
    if (grew || table.deadTuples > 0) shown.push(table);
    else unchanged.push(table.table);
  }
  // Largest first: the tables that decide how the database grows.
  shown.sort((a, b) => b.tableBytes + b.indexesBytes - (a.tableBytes + a.indexesBytes));
  return { shown, unchanged };
}

export function soakSizesSection(soak: SoakResult): string[] {
  const sizes = soak.sizes;
  if (!sizes) return [];
  const head = ['### Table and index sizes per message', ''];
  const [start, ...rest] = sizes.checkpoints;
  const last = rest[rest.length - 1];
  if (!start || start.label !== 'start' || !last) return [...head, `Not readable${sizes.error ? `: ${sizes.error}` : ''}.`, ''];
  const { shown, unchanged } = tablesOfInterest(start, last);
  const row = (name: string, pick: (tables: readonly TableSize[]) => number | undefined) =>
    `| ${name} | ${rest.map((c) => fmt(bytesPerMessage(start, c, pick))).join(' | ')} | ${mb(pick(last.tables))} |`;
  const total = (tables: readonly TableSize[]) => tables.reduce((sum, t) => sum + t.tableBytes + t.indexesBytes, 0);
  const columns = rest.map((c) => c.label);
  const dead = shown.filter((t) => rest.some((c) => (byName(t.table)(c.tables)?.deadTuples ?? 0) > 0));
  return [
    ...head,
    "Read from the run's own database before the first send, at each 10% of the requested messages delivered and after the drain: " +
      '`pg_table_size` (heap + TOAST) of every user table and `pg_relation_size` of each of its indexes. A cell is the growth since the start divided by the ' +
      'messages stored since then, in **bytes per message**: a row that stays level as the data grows means the table grows by a fixed amount per message. ' +
      `Rows are written when a message is accepted, so the divisor is the accepted count (at a checkpoint up to ${fmt(soak.backlogCap)} accepted messages ` +
      'are not yet delivered, and some sends are in flight: early checkpoints of a short soak are rough); at the end the two are equal. ' +
      'Pages are allocated 8 kB at a time, so small counts step rather than grow smoothly.',
    '',
    `| table / index (bytes per message) | ${columns.join(' | ')} | size at ${last.label} (MB) |`,
    `|---|${columns.map(() => '---:').join('|')}|---:|`,
    `| _messages accepted_ | ${rest.map((c) => fmt(c.accepted)).join(' | ')} | |`,
    `| _messages delivered_ | ${rest.map((c) => fmt(c.delivered)).join(' | ')} | |`,
    ...shown.flatMap((t) => [
      row(`**${t.table}** (heap + TOAST)`, (tables) => byName(t.table)(tables)?.tableBytes),
      ...Object.keys(t.indexes)
        .sort((a, b) => (t.indexes[b] ?? 0) - (t.indexes[a] ?? 0))
        .map((index) => row(`↳ ${index}`, (tables) => byName(t.table)(tables)?.indexes[index])),
    ]),
    row('**all tables and indexes**', total),
    '',
    ...(unchanged.length > 0 ? [`Did not grow: ${unchanged.join(', ')}.`, ''] : []),
    ...(dead.length > 0
      ? [
          `| dead rows (n_dead_tup) | live rows at ${last.label} | ${columns.join(' | ')} | updates (HOT) | autovacuums | last autovacuum |`,
          `|---|---:|${columns.map(() => '---:').join('|')}|---:|---:|---|`,
          ...dead.map((t) => {
            const at = (c: SizeCheckpoint) => byName(t.table)(c.tables);
            const hot = t.updates > 0 ? ` (${((100 * t.hotUpdates) / t.updates).toFixed(1)}%)` : '';
            return `| ${t.table} | ${fmt(t.liveTuples)} | ${rest.map((c) => fmt(at(c)?.deadTuples)).join(' | ')} | ${fmt(t.updates)}${hot} | ${t.autovacuumCount} | ${t.lastAutovacuum ?? 'never'} |`;
          }),
          '',
          'Updates (HOT): the rows updated over the run and the share of them that were heap-only, written beside the old version on its page: ' +
            'no new index entry, so nothing for vacuum to remove from the indexes.',
          '',
        ]
      : ['No dead rows in any table at any checkpoint.', '']),
    `Each read took ${rest.map((c) => c.readMs).join(', ')} ms.${sizes.error ? ` A read failed (${sizes.error}); later ones were skipped.` : ''}`,
    '',
  ];
}
