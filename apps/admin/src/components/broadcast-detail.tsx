'use client';

import { type BatchDetail, DELIVERY_STATUSES } from '@mq/messaging-contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api, isApiError } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { BatchFailedDeliveries } from './batch-failed-deliveries';
import { BatchProgress, batchDetailKey, TERMINAL_BATCH } from './batch-progress';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

/** After a retry the counts are followed closely for this long: the retried deliveries move within seconds. */
const FOLLOW_RETRY_MS = 60_000;

/** How often to re-read the broadcast: every second while it runs or a retry is followed, every 10 s while failures wait, else not. */
export function detailRefetchMs(detail: BatchDetail | undefined, followingUntil: number, now = Date.now()): number | false {
  if (!detail) return false;
  if (detail.status === 'paused') return 3_000;
  if (!TERMINAL_BATCH.has(detail.status) || now < followingUntil) return 1_000;
  return detail.deliveries.failed > 0 || detail.deliveries.queued > 0 ? 10_000 : false;
}

/** One broadcast: who started it and when, its progress with pause / resume / cancel, its deliveries by status, and those that failed. */
export function BroadcastDetail({ batchId }: { batchId: string }) {
  const queryClient = useQueryClient();
  const [followingUntil, setFollowingUntil] = useState(0);
  const detail = useQuery({
    queryKey: batchDetailKey(batchId),
    queryFn: ({ signal }) => api.get('/messages/batches/{id}/detail', { path: { id: batchId }, signal }),
    refetchInterval: (query) => detailRefetchMs(query.state.data, followingUntil),
  });
  const data = detail.data;

  const heading = (
    <>
      <p className="breadcrumbs">
        <Link href={PAGES.broadcast()}>Broadcasts</Link> <span aria-hidden="true">›</span> Broadcast
      </p>
      <div className="page-heading">
        <h1>
          Broadcast <span className="mono">{batchId}</span>
        </h1>
        {data ? <StateBadge state={data.status} /> : null}
      </div>
    </>
  );

  if (detail.isError) {
    return (
      <>
        {heading}
        <p className="banner banner-error" role="alert">
          {isApiError(detail.error) && detail.error.status === 404 ? `No broadcast ${batchId}.` : `Broadcast unavailable: ${describeError(detail.error)}`}
        </p>
      </>
    );
  }
  if (!data) {
    return (
      <>
        {heading}
        <p className="muted">Loading…</p>
      </>
    );
  }

  return (
    <>
      {heading}
      <section className="panel" aria-labelledby="broadcast-summary">
        <h2 id="broadcast-summary" className="visually-hidden">
          Summary
        </h2>
        <dl className="facts">
          <div>
            <dt>Started by</dt>
            <dd data-testid="batch-started-by">{data.createdByName ?? data.createdBy}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(data.createdAt)}</dd>
          </div>
          <div>
            <dt>Sending began</dt>
            <dd>{formatDateTime(data.startedAt, 'Not yet')}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{formatDateTime(data.finishedAt, TERMINAL_BATCH.has(data.status) ? '—' : 'Not yet')}</dd>
          </div>
          <div>
            <dt>Pace</dt>
            <dd>
              {formatNumber(data.chunkSize)} per chunk, {formatNumber(data.chunkDelayMs)} ms apart
            </dd>
          </div>
          <div>
            <dt>Message</dt>
            <dd>{data.messageId ? <Link href={PAGES.message(data.messageId)}>Timeline of the message</Link> : 'Removed by retention'}</dd>
          </div>
        </dl>
      </section>

      <BatchProgress batch={data} onChanged={() => void queryClient.invalidateQueries({ queryKey: batchDetailKey(batchId) })} />

      <section className="panel" aria-labelledby="delivery-counts">
        <h2 id="delivery-counts">Deliveries now</h2>
        <p className="muted">Each recipient&apos;s delivery as it stands: a failure retried successfully moves on to sent.</p>
        <dl className="counts" data-testid="delivery-counts">
          {DELIVERY_STATUSES.map((status) => (
            <div
              key={status}
              className={status === 'failed' ? 'count count-failed' : 'count'}
              data-count={status}
              data-nonzero={data.deliveries[status] > 0 || undefined}
            >
              <dt>{status}</dt>
              <dd>{formatNumber(data.deliveries[status])}</dd>
            </div>
          ))}
        </dl>
      </section>

      <BatchFailedDeliveries
        batchId={batchId}
        messageId={data.messageId}
        failedCount={data.deliveries.failed}
        onRetried={() => {
          setFollowingUntil(Date.now() + FOLLOW_RETRY_MS);
          void queryClient.invalidateQueries({ queryKey: batchDetailKey(batchId) });
        }}
      />
    </>
  );
}
