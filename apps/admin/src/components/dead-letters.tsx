'use client';

import type { DeadLetter } from '@mq/messaging-contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { errorFirstLine, formatDateTime } from '../lib/format';
import { ConfirmDialog } from './confirm-dialog';
import { DEAD_LETTERS_QUERY_KEY, DeadLetterGroups, type UndoableDiscard } from './dead-letter-groups';
import { describeError } from './queue-overview';

/** The api pages dead letters with a cursor it does not hand out: show more by asking for more. */
const LIMIT_STEP = 50;
const LIMIT_MAX = 500;

export function DeadLetters() {
  const queryClient = useQueryClient();
  const [limit, setLimit] = useState(LIMIT_STEP);
  const [discarding, setDiscarding] = useState<DeadLetter | null>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [fingerprint, setFingerprint] = useState<string | null>(null);
  const [undoable, setUndoable] = useState<UndoableDiscard | null>(null);
  const letters = useQuery({
    queryKey: [...DEAD_LETTERS_QUERY_KEY, 'list', limit, fingerprint],
    queryFn: ({ signal }) => api.get('/dead-letters', { query: { limit, ...(fingerprint ? { fingerprint } : {}) }, signal }),
    refetchInterval: 10_000,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: DEAD_LETTERS_QUERY_KEY });
  const report = (text: string, error = false) => setNotice({ text, error });

  // The undo button goes when the api would no longer restore.
  useEffect(() => {
    if (!undoable) return;
    const timer = setTimeout(() => setUndoable(null), Math.max(0, new Date(undoable.undoUntil).getTime() - Date.now()));
    return () => clearTimeout(timer);
  }, [undoable]);
  const restore = useMutation({
    mutationFn: (discard: UndoableDiscard) => api.post('/dead-letters/discards/{discardId}/restore', { path: { discardId: discard.discardId } }),
    onSuccess: (answer) => {
      setUndoable(null);
      report(`Restored ${answer.restored} dead letter${answer.restored === 1 ? '' : 's'}.`);
      refresh();
    },
    onError: (error) => {
      setUndoable(null);
      report(`Undo failed: ${describeError(error)}`, true);
    },
  });

  const replay = useMutation({
    mutationFn: (letter: DeadLetter) => api.post('/dead-letters/{id}/replay', { path: { id: letter.id } }),
    onSuccess: (answer, letter) => {
      setNotice({ text: `Replayed ${letter.jobId} as job ${answer.jobId}.`, error: false });
      refresh();
    },
    onError: (error) => setNotice({ text: `Replay failed: ${describeError(error)}`, error: true }),
  });
  const discard = useMutation({
    mutationFn: (letter: DeadLetter) => api.delete('/dead-letters/{id}', { path: { id: letter.id } }),
    onSuccess: (_answer, letter) => {
      setNotice({ text: `Discarded the dead letter of ${letter.jobId}.`, error: false });
      setDiscarding(null);
      refresh();
    },
    onError: (error) => {
      setNotice({ text: `Discard failed: ${describeError(error)}`, error: true });
      setDiscarding(null);
    },
  });

  const rows = letters.data ?? [];
  return (
    <>
      <h1>Dead letters</h1>
      <p className="muted">Jobs that used up their attempts. Replay runs one again (after fixing its cause); discard forgets it.</p>
      <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
        {notice?.text ?? ''}
        {undoable && !notice?.error ? (
          <>
            {' '}
            <button type="button" className="button button-small" disabled={restore.isPending} onClick={() => restore.mutate(undoable)}>
              Undo discard of {undoable.discarded}
            </button>{' '}
            <span className="muted">until {formatDateTime(undoable.undoUntil)}</span>
          </>
        ) : null}
      </p>
      <DeadLetterGroups
        selected={fingerprint}
        onSelect={(selected) => {
          setFingerprint(selected);
          setLimit(LIMIT_STEP);
        }}
        report={report}
        onDiscarded={setUndoable}
      />
      <section className="panel" aria-labelledby="letters-title">
        <h2 id="letters-title">{fingerprint ? 'Letters of the selected cause' : 'All letters'}</h2>
        {letters.isError ? (
          <p className="banner banner-error" role="alert">
            Dead letters unavailable: {describeError(letters.error)}
          </p>
        ) : !letters.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">No dead letters.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Dead letters, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Failed</th>
                  <th scope="col">Queue / job</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Message</th>
                  <th scope="col">Replayed</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((letter) => {
                  const messageId = typeof letter.data['messageId'] === 'string' ? letter.data['messageId'] : null;
                  return (
                    <tr key={letter.id} data-dead-letter-id={letter.id}>
                      <td>{formatDateTime(letter.failedAt)}</td>
                      <td>
                        <span className="mono">{letter.queue}</span>
                        <br />
                        {letter.jobName}{' '}
                        <Link className="mono" href={PAGES.job(letter.jobId)}>
                          {letter.jobId}
                        </Link>
                      </td>
                      <td className="reason">
                        {errorFirstLine(letter.failedReason)}
                        {letter.stacktrace ? (
                          <details>
                            <summary>Stack trace</summary>
                            <pre className="stack">{letter.stacktrace}</pre>
                          </details>
                        ) : null}
                      </td>
                      <td>{letter.attemptsMade}</td>
                      <td className="mono">{messageId ? <Link href={PAGES.message(messageId)}>{messageId}</Link> : '—'}</td>
                      <td>
                        {letter.replayedAt ? (
                          <>
                            {formatDateTime(letter.replayedAt)}
                            {letter.replayJobId ? (
                              <>
                                {' '}
                                <Link className="mono" href={PAGES.job(letter.replayJobId)}>
                                  as {letter.replayJobId}
                                </Link>
                              </>
                            ) : null}
                          </>
                        ) : (
                          'No'
                        )}
                      </td>
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button button-small"
                            disabled={replay.isPending}
                            onClick={() => replay.mutate(letter)}
                            aria-label={`Replay ${letter.jobId}`}
                          >
                            Replay
                          </button>
                          <button type="button" className="button button-small" onClick={() => setDiscarding(letter)} aria-label={`Discard ${letter.jobId}`}>
                            Discard…
                          </button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {rows.length >= limit && limit < LIMIT_MAX ? (
          <button type="button" className="button" onClick={() => setLimit((l) => Math.min(LIMIT_MAX, l + LIMIT_STEP))}>
            Show more
          </button>
        ) : null}
      </section>
      <ConfirmDialog
        open={discarding !== null}
        title="Discard this dead letter?"
        confirmLabel="Discard"
        tone="danger"
        busy={discard.isPending}
        onConfirm={() => discarding && discard.mutate(discarding)}
        onCancel={() => setDiscarding(null)}
      >
        <p>
          The record of <span className="mono">{discarding?.jobId}</span> leaves this page and is purged after a few minutes; it cannot be replayed afterwards.
          The job itself is not run.
        </p>
      </ConfirmDialog>
    </>
  );
}
