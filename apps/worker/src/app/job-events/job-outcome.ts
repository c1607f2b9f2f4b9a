import type { Job } from 'bull';

/** How one run of a job ended, as the worker that ran it saw it. */
export interface JobOutcomeEvent {
  queue: string;
  job: Job;
  /** `attempt-failed`: Bull retries it; `failed`: Bull gave up (attempts spent, stalled past its limit, timed out). */
  kind: 'completed' | 'attempt-failed' | 'failed';
  error: Error | null;
}

/** What wants to know about job outcomes; called by JobOutcomeSubscriber, synchronously, in registration order. */
export interface JobOutcomeHandler {
  onJobOutcome(outcome: JobOutcomeEvent): void;
}
