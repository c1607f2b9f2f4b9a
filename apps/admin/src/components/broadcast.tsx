'use client';

import type { BatchStatus, BroadcastRequest } from '@mq/messaging-contracts';
import { MESSAGE_CONTENT_MAX_LENGTH } from '@mq/messaging-contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatNumber } from '../lib/format';
import { parseRecipientIds } from '../lib/recipients';
import { BroadcastList } from './broadcast-list';
import { ConfirmDialog } from './confirm-dialog';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

const TERMINAL: ReadonlySet<BatchStatus> = new Set(['completed', 'cancelled', 'failed']);

export function BroadcastPage({ batchId }: { batchId?: string }) {
  const router = useRouter();
  return (
    <>
      <h1>Broadcast</h1>
      {batchId ? <BatchProgress batchId={batchId} /> : null}
      <BroadcastForm onStarted={(id) => router.replace(PAGES.broadcast(id))} />
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

/** The batch, re-read every second while it runs: a progress bar with processed and failed counts. */
export function BatchProgress({ batchId }: { batchId: string }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const batch = useQuery({
    queryKey: ['batch', batchId],
    queryFn: ({ signal }) => api.get('/messages/batches/{id}', { path: { id: batchId }, signal }),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      if (status && TERMINAL.has(status)) return false;
      return status === 'paused' ? 3_000 : 1_000;
    },
  });
  const act = useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'cancel') => api.post(`/messages/batches/{id}/${action}` as const, { path: { id: batchId } }),
    onSuccess: (updated, action) => {
      if (updated) queryClient.setQueryData(['batch', batchId], updated);
      setNotice(action === 'pause' ? 'Paused.' : action === 'resume' ? 'Resumed.' : 'Cancelled: nothing more is sent.');
      setCancelling(false);
    },
    onError: (error) => {
      setNotice(`Failed: ${describeError(error)}`);
      setCancelling(false);
    },
  });

  const data = batch.data;
  const progress = data ? Math.max(0, Math.min(100, Math.round(data.progress))) : 0;
  const running = data && !TERMINAL.has(data.status);

  return (
    <section className="panel batch" aria-labelledby="batch-title" data-batch-id={batchId}>
      <div className="section-heading">
        <h2 id="batch-title">
          Broadcast <span className="mono">{batchId}</span>
        </h2>
        {data ? <StateBadge state={data.status} /> : null}
      </div>
      {batch.isError ? (
        <p className="banner banner-error" role="alert">
          Progress unavailable: {describeError(batch.error)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="progress-row">
            <progress className="progress-bar" max={100} value={progress} aria-labelledby="batch-title" aria-valuetext={`${progress}%`} />
            <span className="progress-percent" data-testid="batch-progress">
              {progress}%
            </span>
          </div>
          <p data-testid="batch-counts">
            <strong>{formatNumber(data.processed)}</strong> of {formatNumber(data.total)} processed ·{' '}
            <strong className={data.failed > 0 ? 'text-danger' : undefined}>{formatNumber(data.failed)}</strong> failed
          </p>
          {/* Status changes only, not every percent. */}
          <p className="visually-hidden" role="status" aria-live="polite">
            Broadcast {data.status}
            {TERMINAL.has(data.status) ? `: ${formatNumber(data.processed)} processed, ${formatNumber(data.failed)} failed.` : '.'}
          </p>
          <div className="action-row">
            {data.status === 'paused' ? (
              <button type="button" className="button" disabled={act.isPending} onClick={() => act.mutate('resume')}>
                Resume
              </button>
            ) : running ? (
              <button type="button" className="button" disabled={act.isPending} onClick={() => act.mutate('pause')}>
                Pause
              </button>
            ) : null}
            {running ? (
              <button type="button" className="button" disabled={act.isPending} onClick={() => setCancelling(true)}>
                Cancel…
              </button>
            ) : null}
          </div>
          <p className="notice">{notice}</p>
        </>
      )}
      <ConfirmDialog
        open={cancelling}
        title="Cancel this broadcast?"
        confirmLabel="Cancel broadcast"
        cancelLabel="Keep sending"
        tone="danger"
        busy={act.isPending}
        onConfirm={() => act.mutate('cancel')}
        onCancel={() => setCancelling(false)}
      >
        <p>Recipients not reached yet get nothing; those already sent to keep their message.</p>
      </ConfirmDialog>
    </section>
  );
}
