/**
 * Message priorities (high, normal, low), as Bull priorities (1 is served first). Clients speak the lower-case
 * level names; only the queue layer sees the numbers.
 */
export const JOB_PRIORITY = Object.freeze({
  HIGH: 1,
  NORMAL: 5,
  LOW: 10,
} as const);

export type JobPriority = (typeof JOB_PRIORITY)[keyof typeof JOB_PRIORITY];

export const PRIORITY_LEVELS = Object.freeze(['high', 'normal', 'low'] as const);

export type PriorityLevel = (typeof PRIORITY_LEVELS)[number];

const LEVEL_TO_PRIORITY: Readonly<Record<PriorityLevel, JobPriority>> = Object.freeze({
  high: JOB_PRIORITY.HIGH,
  normal: JOB_PRIORITY.NORMAL,
  low: JOB_PRIORITY.LOW,
});

export function toJobPriority(level: PriorityLevel): JobPriority {
  return LEVEL_TO_PRIORITY[level];
}
