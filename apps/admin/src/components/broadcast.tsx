'use client';

import type { BroadcastRequest } from '@mq/messaging-contracts';
import { MESSAGE_CONTENT_MAX_LENGTH } from '@mq/messaging-contracts';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatNumber } from '../lib/format';
import { parseRecipientIds } from '../lib/recipients';
import { BroadcastList } from './broadcast-list';
import { ConfirmDialog } from './confirm-dialog';
import { describeError } from './queue-overview';

/** A new broadcast, and every broadcast so far; one just started opens on its own page to be followed. */
export function BroadcastPage() {
  const router = useRouter();
  return (
    <>
      <h1>Broadcast</h1>
      <BroadcastForm onStarted={(id) => router.push(PAGES.broadcast(id))} />
      <BroadcastList />
    </>
  );
}

export function BroadcastForm({ onStarted }: { onStarted: (batchId: string) => void }) {
  const [content, setContent] = useState('');
  const [audience, setAudience] = useState<'all' | 'list'>('all');
  const [idsText, setIdsText] = useState('');
  const [chunkSize, setChunkSize] = useState(500);
  const [chunkDelay, setChunkDelay] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState('');
  const ids = { content: useId(), list: useId(), chunk: useId(), delay: useId(), counter: useId(), listHelp: useId() };
  const parsed = parseRecipientIds(idsText);

  const send = useMutation({
    mutationFn: (request: BroadcastRequest) => api.post('/messages/broadcast', { body: request }),
    onSuccess: (answer) => {
      setConfirming(false);
      setContent('');
      onStarted(answer.batchId);
    },
    onError: (caught) => {
      setConfirming(false);
      setError(`Not sent: ${describeError(caught)}`);
    },
  });

  const request = (): BroadcastRequest => ({
    content,
    ...(audience === 'all' ? { allUsers: true as const } : { recipientIds: parsed.ids }),
    chunkSize,
    chunkDelay,
  });

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError('');
    if (!content.trim()) return setError('Write the message first.');
    if (audience === 'list') {
      if (parsed.invalid.length > 0) return setError(`These are not user ids: ${parsed.invalid.slice(0, 5).join(', ')}${parsed.invalid.length > 5 ? '…' : ''}`);
      if (parsed.ids.length === 0) return setError('Paste at least one user id.');
    }
    setConfirming(true);
  }

  const audienceText = audience === 'all' ? 'every active user' : `${formatNumber(parsed.ids.length)} user${parsed.ids.length === 1 ? '' : 's'}`;

  return (
    <section className="panel" aria-labelledby="compose-title">
      <h2 id="compose-title">New broadcast</h2>
      <form className="broadcast-form" onSubmit={onSubmit} noValidate>
        <div className="field">
          <label htmlFor={ids.content}>Message</label>
          <textarea
            id={ids.content}
            name="content"
            rows={4}
            value={content}
            maxLength={MESSAGE_CONTENT_MAX_LENGTH}
            onChange={(event) => setContent(event.target.value)}
            aria-describedby={ids.counter}
            required
          />
          <span id={ids.counter} className="muted field-hint">
            {formatNumber(content.length)} of {formatNumber(MESSAGE_CONTENT_MAX_LENGTH)} characters
          </span>
        </div>
        <fieldset className="fieldset">
          <legend>Recipients</legend>
          <label className="choice">
            <input type="radio" name="audience" value="all" checked={audience === 'all'} onChange={() => setAudience('all')} /> All active users
          </label>
          <label className="choice">
            <input type="radio" name="audience" value="list" checked={audience === 'list'} onChange={() => setAudience('list')} /> These users
          </label>
          {audience === 'list' ? (
            <div className="field">
              <label htmlFor={ids.list}>User ids</label>
              <textarea
                id={ids.list}
                name="recipientIds"
                rows={5}
                value={idsText}
                onChange={(event) => setIdsText(event.target.value)}
                aria-describedby={ids.listHelp}
                spellCheck={false}
                className="mono"
              />
              <span id={ids.listHelp} className="muted field-hint">
                One per line, or separated by commas or spaces. {formatNumber(parsed.ids.length)} valid
                {parsed.duplicates ? `, ${parsed.duplicates} repeated` : ''}
                {parsed.invalid.length ? `, ${parsed.invalid.length} not user ids` : ''}.
              </span>
            </div>
          ) : null}
        </fieldset>
        <details className="advanced">
          <summary>Pacing</summary>
          <div className="inline-fields">
            <div className="field">
              <label htmlFor={ids.chunk}>Recipients per chunk</label>
              <input id={ids.chunk} type="number" min={1} max={5000} value={chunkSize} onChange={(e) => setChunkSize(Number(e.target.value) || 1)} />
            </div>
            <div className="field">
              <label htmlFor={ids.delay}>Pause between chunks (ms)</label>
              <input
                id={ids.delay}
                type="number"
                min={0}
                max={60000}
                value={chunkDelay}
                onChange={(e) => setChunkDelay(Math.max(0, Number(e.target.value) || 0))}
              />
            </div>
          </div>
        </details>
        <p className="form-error" role="alert">
          {error}
        </p>
        <button type="submit" className="button button-primary" disabled={send.isPending}>
          Send broadcast…
        </button>
      </form>
      <ConfirmDialog
        open={confirming}
        title={`Send to ${audienceText}?`}
        confirmLabel="Send now"
        busy={send.isPending}
        onConfirm={() => send.mutate(request())}
        onCancel={() => setConfirming(false)}
      >
        <p>The message goes out in chunks of {formatNumber(chunkSize)}. You can pause or cancel it while it runs; what is sent stays sent.</p>
      </ConfirmDialog>
    </section>
  );
}
