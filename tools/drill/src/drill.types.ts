import type { Check, DrillCounts } from './drill.harness';

export interface DrillContext {
  /** Offered load, messages/s over all pairs. */
  rate: number;
  /** How long the load runs. */
  durationMs: number;
  /** When the fault strikes, after the load started. */
  faultAfterMs: number;
  log: (line: string) => void;
}

export interface DrillOutcome {
  counts?: DrillCounts;
  /** Fault to the first live delivery of a message sent after it. */
  recoveredMs?: number;
  /** Fault to every accepted message held by its recipient. */
  drainedMs?: number;
  /** Fault to every delivery row recorded delivered. */
  recordedMs?: number;
  checks: Check[];
  notes: string[];
}

export interface Drill {
  name: string;
  title: string;
  run(context: DrillContext): Promise<DrillOutcome>;
}
