import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { JOB_DEFINITIONS, JobPayload } from './job-map';
import { JobName } from './job-names';

export class InvalidJobPayloadError extends Error {
  constructor(
    readonly jobName: JobName,
    readonly problems: readonly string[],
  ) {
    super(`Invalid ${jobName} payload: ${problems.join('; ')}`);
    this.name = 'InvalidJobPayloadError';
  }
}

function describe(errors: ValidationError[], path = ''): string[] {
  return errors.flatMap((error) => {
    const field = path ? `${path}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      // class-validator repeats the property name at the start of its messages.
      message.startsWith(error.property) ? `${field}${message.slice(error.property.length)}` : `${field}: ${message}`,
    );
    return [...own, ...describe(error.children ?? [], field)];
  });
}

/**
 * Checks a payload against its job's contract, on both sides of Redis: producers refuse to
 * enqueue a bad payload, consumers refuse to run one. Unknown fields are errors, so nothing
 * (message text above all) can ride along in a job.
 */
export function validateJobPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidJobPayloadError(name, ['payload must be an object']);
  }
  const payloadClass = JOB_DEFINITIONS[name].payload as unknown as new () => JobPayload<N>;
  const instance = plainToInstance(payloadClass, data);
  const errors = validateSync(instance as object, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) {
    throw new InvalidJobPayloadError(name, describe(errors));
  }
  return instance;
}
