'use client';

import type { RealtimeConnection } from '@mq/messaging-client';
import { ConversationInbox } from '@mq/messaging-client';
import type { DeliveryStatus, Message } from '@mq/messaging-contracts';
import { MESSAGE_CONTENT_MAX_LENGTH } from '@mq/messaging-contracts';
import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { formatTime, shortId } from '../../lib/format';
import { laterStatus, newClientMessageId, TICK_TEXT, tickFor } from '../../lib/chat';
import { isUuid } from '../../lib/recipients';
import type { ChatSession } from './chat-login';

/** Receipts fetched for this many of one's own latest messages when a conversation opens. */
const RECEIPTS_ON_OPEN = 20;
/** Read receipts sent at most for this many of the latest messages when a conversation opens. */
const READ_ON_OPEN = 50;

export function NewConversation({ onStart }: { onStart: (userId: string) => Promise<void> }) {
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

export interface ConversationViewProps {
  session: ChatSession;
  connection: RealtimeConnection;
  connected: boolean;
  inbox: ConversationInbox;
  receipts: Map<string, Map<string, DeliveryStatus>>;
  onChange: () => void;
}

export function ConversationView({ session, connection, connected, inbox, receipts, onChange }: ConversationViewProps) {
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
