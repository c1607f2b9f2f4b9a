import { jobSubject } from './job-subject';

const m1 = '0b8f0c3e-1e7a-4c55-9a51-2f6b4d9f8a10';
const m2 = '7d1e4c2a-0b8f-4c55-9a51-2f6b4d9f8a10';
const u1 = '9a51e4c2-0b8f-4c55-9a51-2f6b4d9f8a10';

describe('jobSubject', () => {
  it('names the one message and user of a single job', () => {
    expect(jobSubject({ messageIds: [m1] })).toEqual({ messageId: m1, userId: null });
    expect(jobSubject({ receipts: [{ messageId: m1, recipientId: u1, status: 'read', at: '' }] })).toEqual({ messageId: m1, userId: u1 });
    expect(jobSubject({ recipientId: u1, channel: 'email', reason: 'unread', messageId: m1 })).toEqual({ messageId: m1, userId: u1 });
  });

  it('names no one for a batch of many, or for data that is not an object', () => {
    expect(jobSubject({ messageIds: [m1, m2] })).toEqual({ messageId: null, userId: null });
    expect(
      jobSubject({
        receipts: [
          { messageId: m1, recipientId: u1 },
          { messageId: m2, recipientId: u1 },
        ],
      }),
    ).toEqual({ messageId: null, userId: null });
    expect(jobSubject(null)).toEqual({ messageId: null, userId: null });
    expect(jobSubject('deliver')).toEqual({ messageId: null, userId: null });
  });
});
