'use client';

import type { ConnectionState, RealtimeConnection } from '@mq/messaging-client';
import { ConversationInbox } from '@mq/messaging-client';
import type { ConversationSummary, DeliveryStatus, Message } from '@mq/messaging-contracts';
import { MESSAGE_CONTENT_MAX_LENGTH } from '@mq/messaging-contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useId, useReducer, useRef, useState } from 'react';
import { formatTime, shortId } from '../../lib/format';
import { laterStatus, newClientMessageId, TICK_TEXT, tickFor } from '../../lib/chat';
import { isUuid } from '../../lib/recipients';
import type { ChatSession } from './chat-login';
import { chatLoginError } from './chat-login';

/** Receipts fetched for this many of one's own latest messages when a conversation opens. */
const RECEIPTS_ON_OPEN = 20;
/** Read receipts sent at most for this many of the latest messages when a conversation opens. */
const READ_ON_OPEN = 50;

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Offline',
};

export function ChatRoom({ session, onSignOut }: { session: ChatSession; onSignOut: () => void }) {
  const { client, user } = session;
  const queryClient = useQueryClient();
  const [connection, setConnection] = useState<RealtimeConnection | null>(null);
  const [connState, setConnState] = useState<ConnectionState>('connecting');
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const inboxes = useRef(new Map<string, ConversationInbox>());
  const receipts = useRef(new Map<string, Map<string, DeliveryStatus>>());
  const partners = useRef(new Map<string, string>());
  const conversationsKey = ['chat', user.id, 'conversations'] as const;

  const inboxOf = useCallback((conversationId: string) => {
    let inbox = inboxes.current.get(conversationId);
    if (!inbox) {
      inbox = new ConversationInbox(conversationId);
      inboxes.current.set(conversationId, inbox);
    }
    return inbox;
  }, []);

  const conversations = useQuery({
    queryKey: conversationsKey,
    queryFn: () => client.listConversations(),
    refetchInterval: 15_000,
  });

  // One socket for the session: `message:new` is acknowledged as delivered automatically.
  useEffect(() => {
    const conn = client.connect({ autoAckDelivered: true, transports: ['polling', 'websocket'] });
    setConnection(conn);
    setConnState(conn.state);
    const known = () => (queryClient.getQueryData<ConversationSummary[]>(['chat', user.id, 'conversations']) ?? []).map((c) => c.id);
    const off = [
      conn.onStateChange(({ state }) => setConnState(state)),
      conn.on('message:new', (message) => {
        inboxOf(message.conversationId).add(message);
        if (message.senderId !== user.id) partners.current.set(message.conversationId, message.senderId);
        if (!known().includes(message.conversationId)) void queryClient.invalidateQueries({ queryKey: ['chat', user.id, 'conversations'] });
        bump();
      }),
      conn.on('message:updated', (message) => {
        inboxOf(message.conversationId).update(message);
        bump();
      }),
      conn.on('message:deleted', (event) => {
        inboxOf(event.conversationId).markDeleted(event);
        bump();
      }),
      conn.on('message:status', (event) => {
        const perRecipient = receipts.current.get(event.messageId) ?? new Map<string, DeliveryStatus>();
        perRecipient.set(event.recipientId, laterStatus(perRecipient.get(event.recipientId), event.status));
        receipts.current.set(event.messageId, perRecipient);
        bump();
      }),
      conn.onError(() => undefined),
    ];
    return () => {
      off.forEach((unsubscribe) => unsubscribe());
      conn.disconnect();
    };
  }, [client, user.id, inboxOf, queryClient]);

  async function signOut() {
    connection?.disconnect();
    await client.logout().catch(() => undefined);
    queryClient.removeQueries({ queryKey: ['chat', user.id] });
    onSignOut();
  }

  const list = conversations.data ?? [];
  return (
    <div className="chat">
      <header className="console-header">
        <div className="console-header-bar">
          <p className="product-name">School messages</p>
          <div className="account">
            <span className="account-email">
              <span className="visually-hidden">Signed in as </span>
              {user.displayName} ({user.email})
            </span>
            <span className={`badge ${connState === 'connected' ? 'badge-healthy' : 'badge-degraded'}`} data-connection={connState}>
              {CONNECTION_TEXT[connState]}
            </span>
            <button type="button" className="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="chat-main" id="main">
        <h1 className="visually-hidden">Chat</h1>
        <aside className="chat-sidebar" aria-labelledby="conversations-title">
          <p className="muted">
            Your user id:{' '}
            <span className="mono selectable" data-testid="my-user-id">
              {user.id}
            </span>
          </p>
          <NewConversation
            onStart={async (userId) => {
              setError('');
              try {
                const { body } = await client.createConversation({ type: 'direct', participantIds: [userId] });
                partners.current.set(body.id, userId);
                await queryClient.invalidateQueries({ queryKey: conversationsKey });
                setSelected(body.id);
              } catch (caught) {
                setError(`Could not start it: ${chatLoginError(caught)}`);
              }
            }}
          />
          <p className="form-error" role="alert">
            {error}
          </p>
          <h2 id="conversations-title">Conversations</h2>
          {conversations.isError ? (
            <p className="banner banner-error">Conversations unavailable.</p>
          ) : list.length === 0 ? (
            <p className="muted">{conversations.data ? 'None yet.' : 'Loading…'}</p>
          ) : (
            <ul className="conversation-list">
              {list.map((conversation) => {
                const partner =
                  partners.current.get(conversation.id) ??
                  (conversation.lastMessage && conversation.lastMessage.senderId !== user.id ? conversation.lastMessage.senderId : undefined);
                const label = conversation.title ?? (partner ? `With ${shortId(partner)}` : `Conversation ${shortId(conversation.id)}`);
                const unread = selected === conversation.id ? 0 : conversation.unreadCount;
                return (
                  <li key={conversation.id}>
                    <button
                      type="button"
                      className="conversation-button"
                      aria-current={selected === conversation.id ? 'true' : undefined}
                      data-conversation-id={conversation.id}
                      onClick={() => setSelected(conversation.id)}
                    >
                      <span className="conversation-label">{label}</span>
                      {unread > 0 ? <span className="badge badge-tone-info">{unread} unread</span> : null}
                      {conversation.lastMessage ? <span className="conversation-preview muted">{conversation.lastMessage.content}</span> : null}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </aside>
        <section className="chat-conversation" aria-label="Conversation">
          {selected && connection ? (
            <ConversationView
              key={selected}
              session={session}
              connection={connection}
              connected={connState === 'connected'}
              inbox={inboxOf(selected)}
              receipts={receipts.current}
              onChange={bump}
            />
          ) : (
            <p className="muted chat-empty">Choose a conversation, or start one with a user id.</p>
          )}
        </section>
      </main>
    </div>
  );
}

function NewConversation({ onStart }: { onStart: (userId: string) => Promise<void> }) {
  const inputId = useId();
  const [invalid, setInvalid] = useState(false);
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const value = String(new FormData(form).get('userId') ?? '').trim();
    if (!isUuid(value)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    await onStart(value.toLowerCase());
    form.reset();
  }
  return (
    <form className="new-conversation" onSubmit={(event) => void onSubmit(event)}>
      <label htmlFor={inputId}>Start a conversation with (user id)</label>
      <div className="inline-input">
        <input id={inputId} name="userId" className="mono" spellCheck={false} autoComplete="off" aria-invalid={invalid || undefined} />
        <button type="submit" className="button">
          Start
        </button>
      </div>
      {invalid ? <p className="form-error">That is not a user id.</p> : null}
    </form>
  );
}

interface ConversationViewProps {
  session: ChatSession;
  connection: RealtimeConnection;
  connected: boolean;
  inbox: ConversationInbox;
  receipts: Map<string, Map<string, DeliveryStatus>>;
  onChange: () => void;
}

function ConversationView({ session, connection, connected, inbox, receipts, onChange }: ConversationViewProps) {
  const { client, user } = session;
  const [loading, setLoading] = useState(true);
  const [sendError, setSendError] = useState('');
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [visible, setVisible] = useState(() => typeof document === 'undefined' || document.visibilityState === 'visible');
  const readSent = useRef(new Set<string>());
  const listEnd = useRef<HTMLLIElement>(null);
  const draftId = useId();
  const messages = inbox.messages;

  // Fill the conversation (and any gap a dropped connection left) from REST; again after each reconnect.
  useEffect(() => {
    if (!connected && !loading) return;
    let cancelled = false;
    inbox
      .catchUp(client)
      .then(async () => {
        if (cancelled) return;
        onChange();
        // Receipts of one's own latest messages, so ticks are right after a reload too.
        const own = inbox.messages.filter((m) => m.senderId === user.id).slice(-RECEIPTS_ON_OPEN);
        await Promise.all(
          own.map(async (message) => {
            const deliveries = await client.listDeliveries(message.id).catch(() => []);
            const perRecipient = receipts.get(message.id) ?? new Map<string, DeliveryStatus>();
            for (const d of deliveries) perRecipient.set(d.recipientId, laterStatus(perRecipient.get(d.recipientId), d.status));
            receipts.set(message.id, perRecipient);
          }),
        );
        if (!cancelled) onChange();
      })
      .catch(() => undefined)
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connected, inbox, client]);

  useEffect(() => {
    const onVisibility = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onVisibility);
    return () => document.removeEventListener('visibilitychange', onVisibility);
  }, []);

  // Shown and the tab visible: tell each sender it was read (once per message).
  useEffect(() => {
    if (!visible || !connected) return;
    const unread = messages.filter((m) => m.senderId !== user.id && m.status !== 'deleted' && !readSent.current.has(m.id)).slice(-READ_ON_OPEN);
    for (const message of unread) {
      readSent.current.add(message.id);
      connection.ackRead(message.id).catch(() => readSent.current.delete(message.id));
    }
  }, [messages, visible, connected, connection, user.id]);

  useEffect(() => {
    listEnd.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length]);

  async function send() {
    const content = draft.trim();
    if (!content || sending) return;
    setSending(true);
    setSendError('');
    const clientMessageId = newClientMessageId();
    try {
      let message: Message;
      if (connection.connected) {
        message = await connection.sendViaSocket({ conversationId: inbox.conversationId, content, clientMessageId });
      } else {
        message = (await client.sendMessage({ conversationId: inbox.conversationId, content, clientMessageId })).body.message;
      }
      inbox.add(message);
      setDraft('');
      onChange();
    } catch (caught) {
      setSendError(`Not sent: ${caught instanceof Error ? caught.message : 'try again'}`);
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  }

  return (
    <>
      <h2 className="visually-hidden">Messages</h2>
      <div className="message-log" role="log" aria-label="Messages" aria-busy={loading || undefined}>
        {messages.length === 0 ? (
          <p className="muted">{loading ? 'Loading…' : 'No messages yet. Say hello.'}</p>
        ) : (
          <ol className="messages">
            {messages.map((message) => {
              const mine = message.senderId === user.id;
              const tick = mine ? tickFor(message, receipts.get(message.id)) : null;
              return (
                <li key={message.id} className={mine ? 'message message-mine' : 'message'} data-message-id={message.id} data-mine={mine || undefined}>
                  <span className="visually-hidden">{mine ? 'You' : shortId(message.senderId)}: </span>
                  <p className="message-content">{message.status === 'deleted' ? <em>Deleted</em> : message.content}</p>
                  <span className="message-meta">
                    <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
                    {message.editedAt ? ' · edited' : ''}
                    {tick ? (
                      <span className={`tick tick-${tick}`} data-status={tick}>
                        {' '}
                        <span aria-hidden="true">{TICK_TEXT[tick].symbol}</span>
                        <span className="visually-hidden">{TICK_TEXT[tick].label}</span>
                      </span>
                    ) : null}
                  </span>
                </li>
              );
            })}
            <li ref={listEnd} aria-hidden="true" className="messages-end" />
          </ol>
        )}
      </div>
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <label htmlFor={draftId} className="visually-hidden">
          Message
        </label>
        <textarea
          id={draftId}
          rows={2}
          value={draft}
          maxLength={MESSAGE_CONTENT_MAX_LENGTH}
          placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="button button-primary" disabled={sending || !draft.trim()}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </form>
      <p className="form-error" role="alert">
        {sendError}
      </p>
    </>
  );
}
