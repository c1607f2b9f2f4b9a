import type { Job } from 'bull';
import { JobName, JobPayload } from '@mq/queue-contracts';

export const JOB_HANDLER_METADATA = 'mq:job-handler';

/** What a handler receives: the Bull job, its data already validated against the contract. */
export type HandledJob<N extends JobName> = Job<JobPayload<N>>;

export type JobHandlerMethod<N extends JobName> = (job: HandledJob<N>) => Promise<unknown>;

/**
 * Marks a provider method as the processor of one job name. The method's parameter must
 * accept that job's payload type, so a handler wired to the wrong job does not compile.
 * The worker refuses to boot unless every job name has exactly one handler.
 */
export function JobHandler<N extends JobName>(name: N) {
  return <M extends JobHandlerMethod<N>>(_target: object, _propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    if (!descriptor.value) throw new Error(`@JobHandler(${name}) must decorate a method`);
    Reflect.defineMetadata(JOB_HANDLER_METADATA, name, descriptor.value);
  };
}
