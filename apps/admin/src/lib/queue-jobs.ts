import type { CallArgs } from './api-request.types';

/** The states the jobs list takes (`GET /queue/{name}/jobs?state=`). */
export type ListableState = CallArgs<'/queue/{name}/jobs', 'get'>['query']['state'];
export const LISTABLE: ListableState[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

/** How many a bulk call matched (a dry run) or acted on. */
export function countOf(answer: { matched: number } | { retried: number } | { promoted: number } | { removed: number }): number {
  if ('matched' in answer) return answer.matched;
  if ('retried' in answer) return answer.retried;
  if ('promoted' in answer) return answer.promoted;
  return answer.removed;
}

/** The ages an operator can clean a queue's finished jobs by. */
export const CLEAN_AGES = [
  { label: 'any age', ms: 0 },
  { label: 'older than 1 hour', ms: 3_600_000 },
  { label: 'older than 1 day', ms: 86_400_000 },
  { label: 'older than 7 days', ms: 7 * 86_400_000 },
] as const;

/** A job's progress as the jobs table shows it. */
export function progressText(progress: unknown, state: string): string {
  if (typeof progress === 'number') return progress === 0 && state !== 'active' ? '—' : `${Math.round(progress)}%`;
  if (progress && typeof progress === 'object') return JSON.stringify(progress);
  return '—';
}
