import type { DirectRun } from './direct-messages.types';
import type { SoakResult } from './soak.types';
import type { SoakSample } from './soak.verdict';
import { niceStep } from './stats.math';

const WIDTH = 960;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 64, right: 24, top: 40, bottom: 44 };
const COLORS = {
  accepted: '#4269d0',
  received: '#3ca951',
  delivered: '#ff725c',
  bar: '#6cc5b0',
  marker: '#555',
  redis: '#a463f2',
  api: '#4269d0',
  worker: '#ff725c',
  window: '#f2f2f2',
};

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, value: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escape(value)}</text>`;
}

interface Frame {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Axes with nice ticks; returns the frame's scale functions. */
function axes(
  parts: string[],
  frame: Frame,
  xMax: number,
  yMax: number,
  xLabel: string,
  yLabel: string,
): { sx: (v: number) => number; sy: (v: number) => number } {
  const sx = (v: number): number => frame.x0 + (v / xMax) * frame.width;
  const sy = (v: number): number => frame.y0 + frame.height - (v / yMax) * frame.height;
  parts.push(`<rect x="${frame.x0}" y="${frame.y0}" width="${frame.width}" height="${frame.height}" fill="none" stroke="#ccc"/>`);
  const yStep = niceStep(yMax / 5);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${frame.x0}" x2="${frame.x0 + frame.width}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/>`);
    parts.push(text(frame.x0 - 6, sy(v) + 4, String(Math.round(v * 100) / 100), 'text-anchor="end"'));
  }
  const xStep = niceStep(xMax / 10);
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    parts.push(text(sx(v), frame.y0 + frame.height + 16, String(Math.round(v * 100) / 100), 'text-anchor="middle"'));
  }
  parts.push(text(frame.x0 + frame.width / 2, frame.y0 + frame.height + 34, xLabel, 'text-anchor="middle"'));
  parts.push(text(16, frame.y0 + frame.height / 2, yLabel, `text-anchor="middle" transform="rotate(-90 16 ${frame.y0 + frame.height / 2})"`));
  return { sx, sy };
}

function latencyPanel(parts: string[], run: DirectRun, top: number): void {
  const frame = { x0: MARGIN.left, y0: top + MARGIN.top, width: WIDTH - MARGIN.left - MARGIN.right, height: PANEL_HEIGHT - MARGIN.top - MARGIN.bottom };
  const { edges, counts, overflow } = run.receiveHistogram;
  const title = `send → receive latency, ${run.offeredPerSecond ?? '?'} msgs/s offered (n = ${run.latencyMs.receive.count}${overflow ? `, ${overflow} beyond the last bin` : ''})`;
  parts.push(text(MARGIN.left, top + 24, title, 'font-weight="bold"'));
  if (edges.length === 0) return;
  const xMax = edges[edges.length - 1] ?? 1;
  const yMax = Math.max(1, ...counts) * 1.1;
  const { sx, sy } = axes(parts, frame, xMax, yMax, 'milliseconds', 'messages');
  const width = edges.length > 0 ? (edges[0] ?? 0) : 0;
  counts.forEach((count, i) => {
    const x = sx(i * width);
    const w = Math.max(1, sx((i + 1) * width) - x - 1);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${sy(count).toFixed(1)}" width="${w.toFixed(1)}" height="${(frame.y0 + frame.height - sy(count)).toFixed(1)}" fill="${COLORS.bar}"/>`,
    );
  });
  const { p50, p95, p99 } = run.latencyMs.receive;
  // Staggered labels: p95 and p99 are often a few pixels apart.
  [
    ['p50', p50],
    ['p95', p95],
    ['p99', p99],
  ].forEach(([label, value], i) => {
    const v = Number(value);
    if (v > xMax) return;
    const anchor = sx(v) > frame.x0 + frame.width - 120 ? 'end' : 'start';
    parts.push(
      `<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${frame.y0}" y2="${frame.y0 + frame.height}" stroke="${COLORS.marker}" stroke-dasharray="4 3"/>`,
    );
    parts.push(text(sx(v) + (anchor === 'end' ? -3 : 3), frame.y0 + 12 + i * 14, `${label} ${v} ms`, `text-anchor="${anchor}"`));
  });
}

function throughputPanel(parts: string[], runs: readonly DirectRun[], top: number): void {
  const frame = { x0: MARGIN.left, y0: top + MARGIN.top, width: WIDTH - MARGIN.left - MARGIN.right, height: PANEL_HEIGHT - MARGIN.top - MARGIN.bottom };
  parts.push(text(MARGIN.left, top + 24, 'throughput over time (messages per second), runs one after the other', 'font-weight="bold"'));
  const seconds = runs.reduce((s, r) => s + r.timeline.accepted.length, 0);
  if (seconds === 0) return;
  const yMax = Math.max(1, ...runs.flatMap((r) => [...r.timeline.accepted, ...r.timeline.received, ...r.timeline.delivered])) * 1.1;
  const { sx, sy } = axes(parts, frame, seconds, yMax, 'seconds', 'messages/s');
  let offset = 0;
  for (const run of runs) {
    const n = run.timeline.accepted.length;
    if (offset > 0) parts.push(`<line x1="${sx(offset)}" x2="${sx(offset)}" y1="${frame.y0}" y2="${frame.y0 + frame.height}" stroke="#999"/>`);
    parts.push(
      text(sx(offset) + 4, frame.y0 + 14, run.mode === 'fixed-rate' ? `${run.offeredPerSecond}/s offered` : `full speed (${run.concurrency} in flight)`),
    );
    for (const key of ['accepted', 'received', 'delivered'] as const) {
      const points = run.timeline[key].map((v, i) => `${sx(offset + i + 0.5).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${COLORS[key]}" stroke-width="1.8"/>`);
    }
    offset += n;
  }
  let lx = frame.x0 + frame.width - 270;
  for (const key of ['accepted', 'received', 'delivered'] as const) {
    parts.push(`<rect x="${lx}" y="${top + 14}" width="12" height="12" fill="${COLORS[key]}"/>`);
    parts.push(text(lx + 16, top + 24, key));
    lx += 90;
  }
}

function svg(height: number, parts: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** One soak series: what it is called in the legend, its colour, how to read it from a sample. */
interface SoakLine {
  label: string;
  color: string;
  pick: (s: SoakSample) => number | undefined;
}

/**
 * MB against messages delivered, with the two windows the verdict compares shaded (second and
 * last quarter of the samples) and a marker where sending stopped and the drain began.
 */
function soakPanel(parts: string[], soak: SoakResult, title: string, lines: readonly SoakLine[], top: number): void {
  const frame = { x0: MARGIN.left, y0: top + MARGIN.top, width: WIDTH - MARGIN.left - MARGIN.right, height: PANEL_HEIGHT - MARGIN.top - MARGIN.bottom };
  parts.push(text(MARGIN.left, top + 24, title, 'font-weight="bold"'));
  const samples = soak.samples;
  const values = samples.flatMap((s) => lines.map((l) => l.pick(s) ?? 0));
  if (samples.length === 0) return;
  // Thousands on the axis once the counts are large: a million as 1000000 crowds the ticks.
  const unit = soak.delivered >= 10_000 ? 1000 : 1;
  const xMax = Math.max(1, (samples[samples.length - 1]?.delivered ?? 0) / unit);
  const yMax = Math.max(1, ...values) * 1.1;
  const xOf = (s: SoakSample | undefined): number => (s?.delivered ?? 0) / unit;
  const n = samples.length;
  const windows = [
    [samples[Math.floor(n / 4)], samples[Math.max(Math.floor(n / 4), Math.floor(n / 2) - 1)]],
    [samples[Math.floor((3 * n) / 4)], samples[n - 1]],
  ];
  const sx0 = (v: number): number => frame.x0 + (v / xMax) * frame.width;
  // Shading first, so the grid and the lines stay on top of it.
  for (const [from, to] of windows) {
    const x = sx0(xOf(from));
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${frame.y0}" width="${Math.max(2, sx0(xOf(to)) - x).toFixed(1)}" height="${frame.height}" fill="${COLORS.window}"/>`,
    );
  }
  const { sx, sy } = axes(parts, frame, xMax, yMax, unit === 1 ? 'messages delivered' : 'messages delivered (thousands)', 'MB');
  if (soak.deliveredWhenSendingEnded > 0) {
    const x = sx(soak.deliveredWhenSendingEnded / unit).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${frame.y0}" y2="${frame.y0 + frame.height}" stroke="${COLORS.marker}" stroke-dasharray="4 3"/>`);
    parts.push(text(Number(x) - 4, frame.y0 + frame.height - 6, 'sending ended', 'text-anchor="end" fill="#555"'));
  }
  for (const line of lines) {
    const points = samples
      .map((s) => ({ x: xOf(s), y: line.pick(s) }))
      .filter((p): p is { x: number; y: number } => p.y !== undefined)
      .map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`);
    if (points.length > 0) parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${line.color}" stroke-width="1.8"/>`);
  }
  let lx = frame.x0 + frame.width - 150 * lines.length - 160;
  parts.push(`<rect x="${lx}" y="${top + 14}" width="12" height="12" fill="${COLORS.window}" stroke="#ccc"/>`);
  parts.push(text(lx + 16, top + 24, '2nd / last quarter'));
  lx += 160;
  for (const line of lines) {
    parts.push(`<rect x="${lx}" y="${top + 14}" width="12" height="12" fill="${line.color}"/>`);
    parts.push(text(lx + 16, top + 24, line.label));
    lx += 150;
  }
}

/** The soak's memory: Redis used_memory on its own scale (a few MB), then api and worker RSS. */
export function renderSoakChart(soak: SoakResult): string {
  const parts: string[] = [];
  soakPanel(
    parts,
    soak,
    `soak: Redis used_memory, ${soak.delivered.toLocaleString('en-US')} messages`,
    [{ label: 'Redis used_memory', color: COLORS.redis, pick: (s) => s.redisUsedMemoryMB }],
    0,
  );
  soakPanel(
    parts,
    soak,
    `soak: process RSS (${soak.rssSource})`,
    [
      { label: 'api RSS', color: COLORS.api, pick: (s) => s.apiRssMB },
      { label: 'worker RSS', color: COLORS.worker, pick: (s) => s.workerRssMB },
    ],
    PANEL_HEIGHT,
  );
  return svg(PANEL_HEIGHT * 2, parts);
}

/** One SVG: a latency histogram per fixed-rate run, then every run's throughput over time. */
export function renderChart(runs: readonly DirectRun[]): string {
  const parts: string[] = [];
  const fixed = runs.filter((r) => r.mode === 'fixed-rate');
  fixed.forEach((run, i) => latencyPanel(parts, run, i * PANEL_HEIGHT));
  throughputPanel(parts, runs, fixed.length * PANEL_HEIGHT);
  return svg(PANEL_HEIGHT * (fixed.length + 1), parts);
}
