'use client';

import { BATCH_STATUSES, type BatchStatus, type BatchSummary } from '@mq/messaging-contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { LoadMore } from './load-more';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

const PAGE_LIMIT = 25;
const LIVE: ReadonlySet<BatchStatus> = new Set(['queued', 'running', 'paused']);

interface BroadcastsPage {
  batches: BatchSummary[];
  nextCursor: string | null;
}

/** Every broadcast, past and running, newest first: progress, counts, who started it; each opens its detail. */
export function BroadcastList() {
  const [status, setStatus] = useState<BatchStatus | ''>('');
  const list = useInfiniteQuery({
    queryKey: ['broadcasts', status],
    queryFn: async ({ pageParam, signal }): Promise<BroadcastsPage> => {
      const answer = await api.getWithAnswer('/messages/batches', { query: { limit: PAGE_LIMIT, cursor: pageParam, status: status || undefined }, signal });
      return { batches: answer.body ?? [], nextCursor: answer.headers.get('x-next-cursor') };
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Re-read every 2 s while any broadcast shown is still going.
    refetchInterval: (query) => (query.state.data?.pages.some((page) => page.batches.some((b) => LIVE.has(b.status))) ? 2_000 : false),
  });
  const rows = list.data?.pages.flatMap((page) => page.batches) ?? [];
  return (
    <section className="panel" aria-labelledby="broadcasts-title">
      <div className="section-heading">
        <h2 id="broadcasts-title">Broadcasts</h2>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as BatchStatus | '')}>
            <option value="">Any</option>
            {BATCH_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {list.isError ? (
        <p className="banner banner-error" role="alert">
          Broadcasts unavailable: {describeError(list.error)}
        </p>
      ) : !list.data ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No broadcast yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Broadcasts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">By</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Sent · failed · total</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((batch) => (
                <tr key={batch.id} data-batch-id={batch.id} data-status={batch.status}>
                  <td>
                    <Link href={PAGES.broadcast(batch.id)}>{formatDateTime(batch.createdAt)}</Link>
                  </td>
                  <td>{batch.createdByName ?? batch.createdBy}</td>
                  <td>
                    <StateBadge state={batch.status} />
                  </td>
                  <td>
                    <progress
                      className="progress-bar"
                      max={100}
                      value={batch.progress}
                      aria-label={`Progress of the broadcast started ${formatDateTime(batch.createdAt)}`}
                    />{' '}
                    <span data-testid="list-progress">{batch.progress}%</span>
                  </td>
                  <td>
                    {formatNumber(batch.processed)} · {formatNumber(batch.failed)} · {formatNumber(batch.total)}
                  </td>
                  <td>{formatDateTime(batch.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={list} label="Load older broadcasts" />
    </section>
  );
}
