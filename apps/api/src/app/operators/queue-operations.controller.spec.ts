import type { Job } from 'bull';
import { toJobDetail } from './queue-operations.controller';

/** A job as Bull's getJob returns it: the hash as read at one moment, and the state read later. */
function jobRead(fields: Partial<Job>, state: string, reread?: Partial<Job>): Job {
  const base = {
    id: 'send-message:1',
    name: 'send-message',
    data: { messageIds: ['m1'] },
    timestamp: 1_000,
    attemptsMade: 0,
    stacktrace: [],
    progress: () => 0,
  };
  const again = reread ? ({ ...base, ...reread, getState: async () => state } as unknown as Job) : undefined;
  return { ...base, ...fields, getState: async () => state, queue: { getJob: async () => again ?? null } } as unknown as Job;
}

describe('toJobDetail', () => {
  it('reads a job again when it finished between the read of its hash and of its state', async () => {
    const job = jobRead({ processedOn: 2_000 }, 'completed', { processedOn: 2_000, finishedOn: 3_000, returnvalue: { outcome: 'sent' }, attemptsMade: 1 });
    expect(await toJobDetail('message-notification', job)).toMatchObject({
      state: 'completed',
      returnvalue: { outcome: 'sent' },
      attemptsMade: 1,
      finishedOn: new Date(3_000).toISOString(),
    });
  });

  it('uses the hash it has when it was read finished', async () => {
    const job = jobRead({ processedOn: 2_000, finishedOn: 3_000, failedReason: '550 refused', attemptsMade: 3 }, 'failed');
    expect(await toJobDetail('message-notification', job)).toMatchObject({ state: 'failed', failedReason: '550 refused', attemptsMade: 3 });
  });

  it('keeps what it read when the job is gone by the second read', async () => {
    const job = jobRead({ processedOn: 2_000 }, 'completed');
    expect(await toJobDetail('message-notification', job)).toMatchObject({ state: 'completed', returnvalue: null, finishedOn: null });
  });
});
