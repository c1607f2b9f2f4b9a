const WIDTH = 28;
const REDRAW_MS = 100;
/** Without a terminal (CI logs) a bar redrawn in place is noise: a line every few seconds instead. */
const LINE_EVERY_MS = 3_000;

/** A progress bar on stderr: one phase at a time, redrawn in place on a terminal. */
export class ProgressBar {
  private phaseLabel = '';
  private total = 1;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY);
  }

  phase(label: string, total: number): void {
    this.finishLine();
    this.phaseLabel = label;
    this.total = Math.max(1, total);
    this.lastDraw = 0;
    this.update(0, 'starting');
  }

  /** The phase's total once it is known (e.g. a batch's recipient count). */
  resize(total: number): void {
    this.total = Math.max(1, total);
  }

  update(done: number, detail = '', force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.tty ? REDRAW_MS : LINE_EVERY_MS)) return;
    this.lastDraw = now;
    const ratio = Math.min(1, Math.max(0, done / this.total));
    const filled = Math.round(ratio * WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
    const text = `${this.phaseLabel.padEnd(22)} ${bar} ${String(Math.floor(ratio * 100)).padStart(3)}%  ${detail}`;
    if (this.tty) {
      const columns = this.stream.columns || 120;
      this.stream.write(`\r${text.slice(0, columns - 1).padEnd(columns - 1)}`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the current bar with a summary line. */
  done(summary: string): void {
    this.update(this.total, summary, true);
    this.finishLine();
    this.phaseLabel = '';
  }

  /** A message on its own line, leaving the bar intact. */
  log(message: string): void {
    this.finishLine();
    this.stream.write(`${message}\n`);
    this.lastDraw = 0;
  }

  private finishLine(): void {
    if (this.tty && this.phaseLabel) this.stream.write('\n');
  }
}
