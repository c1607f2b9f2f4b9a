'use client';

import type { ConnectionState, RealtimeConnection } from '@mq/messaging-client';
import { ConversationInbox } from '@mq/messaging-client';
import type { ConversationSummary, DeliveryStatus } from '@mq/messaging-contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { shortId } from '../../lib/format';
import { laterStatus } from '../../lib/chat';
import type { ChatSession } from './chat-login';
import { chatLoginError } from './chat-login';
import { ConversationView, NewConversation } from './conversation-view';

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
    // WebSocket first, long-polling only as the fallback (the client's default).
    const conn = client.connect({ autoAckDelivered: true });
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
