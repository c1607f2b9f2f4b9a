'use client';

import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { batchDetailKey } from './batch-progress';
import { useBulkAction } from './bulk-action';
import { LoadMore } from './load-more';
import { describeError } from './queue-overview';

const PAGE_LIMIT = 25;

const plural = (n: number) => `${formatNumber(n)} failed deliver${n === 1 ? 'y' : 'ies'}`;

interface Props {
  batchId: string;
  /** The broadcast's one message, which a retry names; null once retention removed it. */
  messageId: string | null;
  /** The broadcast's failed deliveries now, as its page last read them. */
  failedCount: number;
  onRetried: () => void;
}

/**
 * The deliveries of one broadcast that failed, newest first, a page at a time, and a retry of all
 * of them. `POST /deliveries/retry` retries messages, and a broadcast is one message: a retry
 * always covers every failed delivery of it, so there is no per-row selection here.
 */
export function BatchFailedDeliveries({ batchId, messageId, failedCount, onRetried }: Props) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const list = useInfiniteQuery({
    // Under ['deliveries', 'failed']: the failed-deliveries page's retries refresh it too.
    queryKey: ['deliveries', 'failed', { batchId }],
    queryFn: ({ pageParam, signal }) => api.get('/deliveries/failed', { query: { limit: PAGE_LIMIT, batchId, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.deliveries) ?? [], [list.data]);

  // The page's count moved (a retried delivery went out, or failed again): the list follows at once.
  const seenCount = useRef(failedCount);
  useEffect(() => {
    if (seenCount.current === failedCount) return;
    seenCount.current = failedCount;
    void queryClient.invalidateQueries({ queryKey: ['deliveries', 'failed', { batchId }] });
  }, [failedCount, batchId, queryClient]);

  const counted = useRef(0);
  const retryAll = useBulkAction(
    {
      question: (n) => `Retry ${plural(n)} of this broadcast?`,
      nothing: 'No delivery of this broadcast is failed now.',
      confirmLabel: (n) => `Retry ${formatNumber(n)}`,
      done: (n) => (n === 0 ? 'Nothing to retry: no delivery of this broadcast is failed now.' : `Retried ${plural(n)}: they go out again now.`),
      detail: 'Each goes out once its cause is fixed (an account active again); one still failing fails again after the send job’s retries.',
    },
    async () => {
      // The count comes fresh from the api, not from the rows loaded so far.
      const fresh = await api.get('/messages/batches/{id}/detail', { path: { id: batchId } });
      queryClient.setQueryData(batchDetailKey(batchId), fresh);
      counted.current = fresh.deliveries.failed;
      return fresh.deliveries.failed;
    },
    async () => {
      if (!messageId) return 0;
      const answer = await api.post('/deliveries/retry', { body: { messageIds: [messageId] } });
      onRetried();
      void queryClient.invalidateQueries({ queryKey: ['deliveries', 'failed', { batchId }] });
      return answer.retried > 0 ? counted.current : 0;
    },
    (text, error) => setNotice({ text, error: error ?? false }),
  );

  return (
    <section className="panel" aria-labelledby="batch-failed-title">
      <div className="section-heading">
        <h2 id="batch-failed-title">Failed deliveries</h2>
        {messageId && failedCount > 0 ? (
          <button type="button" className="button button-primary" onClick={retryAll.start}>
            {retryAll.phase.kind === 'checking' ? 'Counting…' : 'Retry all failed…'}
          </button>
        ) : null}
      </div>
      <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
        {notice?.text ?? ''}
      </p>
      {list.isError ? (
        <p className="banner banner-error" role="alert">
          Failed deliveries unavailable: {describeError(list.error)}
        </p>
      ) : !list.data ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted" data-testid="no-failed-deliveries">
          No delivery of this broadcast has failed.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="table table-wide">
            <caption className="visually-hidden">Failed deliveries of this broadcast, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Recipient</th>
                <th scope="col">Reason</th>
                <th scope="col">Attempts</th>
                <th scope="col">Failed</th>
                <th scope="col">Job</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.recipientId} data-recipient-id={row.recipientId}>
                  <td className="mono">
                    <Link href={PAGES.users(row.recipientId)} aria-label={`User ${row.recipientId}`}>
                      {row.recipientId}
                    </Link>
                  </td>
                  <td className="reason">{row.failureReason ?? ''}</td>
                  <td>{row.attempts}</td>
                  <td>{formatDateTime(row.failedAt)}</td>
                  <td className="mono">{row.jobId ? <Link href={PAGES.job(row.jobId)}>{row.jobId}</Link> : '—'}</td>
                  <td>
                    <Link href={PAGES.message(row.messageId)} aria-label={`Timeline of the delivery to ${row.recipientId}`}>
                      Timeline
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={list} label="Load more" />
      {retryAll.dialog}
    </section>
  );
}
