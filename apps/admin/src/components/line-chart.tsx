import { useId } from 'react';
import { formatNumber, formatShortTime } from '../lib/format';
import { niceCeiling } from '../lib/history';

export interface ChartLine {
  label: string;
  values: (number | null)[];
  /** A CSS class giving the stroke colour and dash pattern (lines differ in both, not colour alone). */
  className: string;
}

export interface LineChartProps {
  title: string;
  /** One sentence a screen reader hears instead of the picture. */
  summary: string;
  times: number[];
  lines: ChartLine[];
  unit: string;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 16, bottom: 28, left: 48 };

/** Breaks at nulls: a minute without samples is a gap, not a zero. */
function pathOf(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    d += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)} ${y(value).toFixed(1)} `;
    drawing = true;
  });
  return d.trim();
}

/** Lone points between gaps would be invisible as a path: draw them as dots. */
function isolated(values: (number | null)[]): number[] {
  return values.flatMap((value, index) => (value !== null && (values[index - 1] ?? null) === null && (values[index + 1] ?? null) === null ? [index] : []));
}

/** A hand-written SVG line chart: no chart library, nothing loaded from elsewhere. */
export function LineChart({ title, summary, times, lines, unit }: LineChartProps) {
  const titleId = useId();
  const descId = useId();
  const max = niceCeiling(Math.max(0, ...lines.flatMap((line) => line.values.filter((v): v is number => v !== null))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (index: number) => PAD.left + (times.length <= 1 ? plotW / 2 : (index / (times.length - 1)) * plotW);
  const y = (value: number) => PAD.top + plotH - (value / max) * plotH;
  // Counts are whole numbers: no 0.5 tick on a small axis.
  const yTicks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
  const xTickCount = Math.min(5, times.length);
  const xTicks = Array.from({ length: xTickCount }, (_, i) => (xTickCount <= 1 ? 0 : Math.round((i / (xTickCount - 1)) * (times.length - 1))));

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} aria-describedby={descId} className="chart-svg">
        <title id={titleId}>{title}</title>
        <desc id={descId}>{summary}</desc>
        {yTicks.map((tick) => (
          <g key={tick}>
            <line className="chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text className="chart-axis" x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
              {formatNumber(tick)}
            </text>
          </g>
        ))}
        {xTicks.map((index) => (
          <text key={index} className="chart-axis" x={x(index)} y={HEIGHT - 8} textAnchor="middle">
            {formatShortTime(times[index])}
          </text>
        ))}
        {lines.map((line) => (
          <g key={line.label} className={line.className}>
            <path className="chart-line" d={pathOf(line.values, x, y)} fill="none" />
            {isolated(line.values).map((index) => (
              <circle key={index} className="chart-dot" cx={x(index)} cy={y(line.values[index] as number)} r={2.5} />
            ))}
          </g>
        ))}
      </svg>
      <ul className="chart-legend">
        {lines.map((line) => (
          <li key={line.label} className={line.className}>
            <svg width="28" height="10" aria-hidden="true" focusable="false">
              <line className="chart-line" x1="2" x2="26" y1="5" y2="5" />
            </svg>
            {line.label}
          </li>
        ))}
        <li className="muted">{unit}</li>
      </ul>
    </figure>
  );
}
