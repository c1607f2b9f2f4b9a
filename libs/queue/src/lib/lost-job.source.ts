/** A job as it was staged: enough to put it back in Redis under its id. */
export interface StagedJobRecord {
  name: string;
  payload: Record<string, unknown>;
  priority: number;
}

/**
 * Where the worker finds a job again that Redis lost while the job was being taken (the
 * transactional outbox). Optional: without one, such a job's stub is removed so the id can be
 * added again.
 */
export interface LostJobSource {
  findJob(jobId: string): Promise<StagedJobRecord | undefined>;
}

export const LOST_JOB_SOURCE = Symbol('LOST_JOB_SOURCE');
