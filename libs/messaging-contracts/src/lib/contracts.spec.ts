import {
  ADMIN_NAMESPACE,
  AdminServerToClientEvents,
  ClientToServerEvents,
  DELIVERY_STATUSES,
  Message,
  MESSAGE_CONTENT_MAX_LENGTH,
  MESSAGE_KEYS,
  MESSAGE_PRIORITIES,
  MESSAGE_STATUSES,
  MESSAGES_PAGE_MAX,
  MessageSendAck,
  ServerToClientEvents,
  SOCKET_EVENTS,
  USER_ROLES,
} from '../index';

// Clients outside this repository are written against these strings: a rename must fail here.
describe('messaging contracts', () => {
  it('pins every socket.io event name', () => {
    expect(SOCKET_EVENTS).toEqual({
      MESSAGE_SEND: 'message:send',
      MESSAGE_DELIVERED: 'message:delivered',
      MESSAGE_READ: 'message:read',
      SYNC: 'sync',
      MESSAGE_NEW: 'message:new',
      MESSAGE_STATUS: 'message:status',
      MESSAGE_UPDATED: 'message:updated',
      MESSAGE_DELETED: 'message:deleted',
      NOTIFICATION_NEW: 'notification:new',
      QUEUE_METRICS: 'queue:metrics',
      JOB_FAILED: 'job:failed',
      ALERT: 'alert',
    });
    expect(Object.isFrozen(SOCKET_EVENTS)).toBe(true);
    expect(ADMIN_NAMESPACE).toBe('/admin');
  });

  it('pins the Message key list', () => {
    expect([...MESSAGE_KEYS]).toEqual([
      'id',
      'conversationId',
      'seq',
      'senderId',
      'content',
      'clientMessageId',
      'priority',
      'status',
      'sendAt',
      'createdAt',
      'editedAt',
    ]);
    expect(Object.isFrozen(MESSAGE_KEYS)).toBe(true);
  });

  it('pins the enumerations and limits', () => {
    expect([...MESSAGE_PRIORITIES]).toEqual(['high', 'normal', 'low']);
    expect([...MESSAGE_STATUSES]).toEqual(['scheduled', 'queued', 'sent', 'failed', 'deleted']);
    expect([...DELIVERY_STATUSES]).toEqual(['queued', 'sent', 'delivered', 'read', 'failed']);
    expect([...USER_ROLES]).toEqual(['user', 'admin', 'operator']);
    expect(MESSAGE_CONTENT_MAX_LENGTH).toBe(10_000);
    expect(MESSAGES_PAGE_MAX).toBe(200);
  });
});

// Compile-time checks: the typecheck target fails if any of these stops holding.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export function typeLevelChecks(): void {
  const messageKeysExact: Exact<keyof Message, (typeof MESSAGE_KEYS)[number]> = true;
  const serverEvents: Exact<keyof ServerToClientEvents, 'message:new' | 'message:status' | 'message:updated' | 'message:deleted' | 'notification:new'> = true;
  const clientEvents: Exact<keyof ClientToServerEvents, 'message:send' | 'message:delivered' | 'message:read' | 'sync'> = true;
  const adminEvents: Exact<keyof AdminServerToClientEvents, 'queue:metrics' | 'job:failed' | 'alert'> = true;
  // @ts-expect-error a successful ack carries the message
  const incompleteAck: MessageSendAck = { ok: true };
  // @ts-expect-error nullable fields are null, not absent
  const missingEditedAt: Pick<Message, 'editedAt'> = {};
  void [messageKeysExact, serverEvents, clientEvents, adminEvents, incompleteAck, missingEditedAt];
}
