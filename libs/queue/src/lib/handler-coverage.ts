import { JOB_NAMES, isJobName, queueOfJob } from '@mq/queue-contracts';

export interface DiscoveredHandler {
  jobName: string;
  /** `ClassName.method`, for messages. */
  location: string;
}

/** Why the worker would not boot: a job with no handler, with two, or a handler for no job. */
export function findHandlerCoverageProblems(handlers: readonly DiscoveredHandler[]): string[] {
  const problems: string[] = [];
  for (const jobName of JOB_NAMES) {
    const owners = handlers.filter((h) => h.jobName === jobName).map((h) => h.location);
    if (owners.length === 0) {
      problems.push(`job "${jobName}" (queue ${queueOfJob(jobName)}) has no processor`);
    } else if (owners.length > 1) {
      problems.push(`job "${jobName}" has ${owners.length} processors: ${owners.join(', ')}`);
    }
  }
  for (const handler of handlers) {
    if (!isJobName(handler.jobName)) {
      problems.push(`${handler.location} handles "${handler.jobName}", which is not a job name`);
    }
  }
  return problems;
}

export class HandlerCoverageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Refusing to start: ${problems.join('; ')}`);
    this.name = 'HandlerCoverageError';
  }
}
