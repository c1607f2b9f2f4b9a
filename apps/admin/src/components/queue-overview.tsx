'use client';

import type { QueueCounts } from '@mq/messaging-contracts';
import { QUEUE_NAMES, type QueueName } from '@mq/queue-contracts';
import type { QueueHealthEntry } from '@mq/messaging-contracts';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { useAdminRealtime } from '../lib/admin-realtime';
import { isApiError } from '../lib/api-client';
import { METRICS_POLL_MS, PAGES } from '../lib/endpoints';
import { formatDuration, formatNumber, formatPercent, formatTime } from '../lib/format';
import { useQueueHealth, useQueueMetrics } from '../lib/queue-metrics';
import { HealthBadge } from './status-badge';

/** The six Bull counts, in the order an operator reads them. */
export const COUNT_FIELDS: ReadonlyArray<{ key: keyof QueueCounts; label: string }> = [
  { key: 'waiting', label: 'Waiting' },
  { key: 'active', label: 'Active' },
  { key: 'completed', label: 'Completed' },
  { key: 'failed', label: 'Failed' },
  { key: 'delayed', label: 'Delayed' },
  { key: 'paused', label: 'Paused' },
];

export type CardState = { kind: 'loading' } | { kind: 'unavailable' } | { kind: 'ready'; counts: QueueCounts };

function isCounts(value: unknown): value is QueueCounts {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return COUNT_FIELDS.every(({ key }) => typeof record[key] === 'number' && Number.isFinite(record[key]));
}

export function describeError(error: unknown): string {
  if (!isApiError(error)) return 'the request failed.';
  if (error.isUnavailable) return 'the API is unreachable.';
  if (error.status === 401) return 'your session has ended.';
  if (error.status === 403) return 'this account may not read it.';
  if (error.status === 404) return 'the API does not offer it.';
  return error.message;
}

/**
 * The six queues. Numbers come live from the `/admin` socket (`queue:metrics`, every 2 s);
 * while it is down they are polled every 2 s. Health and failure rate from `/queue/health`.
 */
export function QueueOverview() {
  const realtime = useAdminRealtime();
  const live = realtime.state === 'connected';
  const metrics = useQueueMetrics({ live });
  const health = useQueueHealth();
  const seconds = METRICS_POLL_MS / 1000;

  // A failed poll means the numbers on screen are no longer current: show none rather than stale ones.
  const failing = metrics.isError && !live;
  const data = failing ? undefined : metrics.data;
  const updatedAt = data?.timestamp ? new Date(data.timestamp) : undefined;
  const totalFailed = data?.totals?.failed;
  const announcement = useFailureAnnouncement(totalFailed);

  function stateOf(queue: QueueName): CardState {
    if (failing) return { kind: 'unavailable' };
    if (!data) return { kind: 'loading' };
    const counts: unknown = data.queues?.[queue];
    return isCounts(counts) ? { kind: 'ready', counts } : { kind: 'unavailable' };
  }

  return (
    <section className="queue-overview" aria-labelledby="queues-title">
      <div className="section-heading">
        <h2 id="queues-title">Queues</h2>
        <p className="muted" data-live={live ? 'socket' : 'polling'}>
          <span className={live ? 'live-dot live-dot-on' : 'live-dot'} aria-hidden="true" />
          {live ? 'Live' : failing ? `Retrying every ${seconds} seconds` : `Live updates unavailable: refreshing every ${seconds} seconds`}
          {updatedAt && !Number.isNaN(updatedAt.getTime()) ? ` · updated ${formatTime(updatedAt)}` : ''}
          {health.data ? (
            <>
              {' · overall '}
              <HealthBadge status={health.data.status} />
            </>
          ) : null}
        </p>
      </div>
      {/* Announces new failures only: numbers that change every 2 s would drown a screen reader. */}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {failing ? (
        <p className="banner banner-error" role="alert">
          Metrics unavailable: {describeError(metrics.error)}
        </p>
      ) : null}
      <ul className="queue-grid">
        {QUEUE_NAMES.map((queue) => (
          <li key={queue}>
            <QueueCard queue={queue} state={stateOf(queue)} health={health.data?.queues?.[queue]} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function useFailureAnnouncement(totalFailed: number | undefined): string {
  const previous = useRef<number | undefined>(undefined);
  const [message, setMessage] = useState('');
  useEffect(() => {
    if (totalFailed === undefined) return;
    const before = previous.current;
    previous.current = totalFailed;
    if (before !== undefined && totalFailed > before) {
      const added = totalFailed - before;
      setMessage(`${formatNumber(added)} more failed job${added === 1 ? '' : 's'}: ${formatNumber(totalFailed)} in all.`);
    }
  }, [totalFailed]);
  return message;
}

export function QueueCard({ queue, state, health }: { queue: QueueName; state: CardState; health?: QueueHealthEntry }) {
  const titleId = `queue-${queue}`;
  return (
    <article className="queue-card" aria-labelledby={titleId} aria-busy={state.kind === 'loading' || undefined} data-queue={queue} data-state={state.kind}>
      <div className="queue-card-head">
        <h3 id={titleId} className="queue-name">
          <Link href={PAGES.queue(queue)}>{queue}</Link>
        </h3>
        {health ? <HealthBadge status={health.status} /> : null}
      </div>
      {state.kind === 'ready' ? (
        <dl className="counts">
          {COUNT_FIELDS.map(({ key, label }) => (
            <div key={key} className={`count count-${key}`} data-count={key} data-nonzero={state.counts[key] > 0 || undefined}>
              <dt>{label}</dt>
              <dd>{formatNumber(state.counts[key])}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className={state.kind === 'loading' ? 'card-state' : 'card-state card-state-error'}>
          {state.kind === 'loading' ? 'Loading…' : 'Metrics unavailable'}
        </p>
      )}
      {health ? (
        <p className="queue-card-foot muted">
          Failure rate <strong data-failure-rate>{formatPercent(health.failureRate)}</strong>
          {health.oldestWaitingMs > 0 ? ` · oldest waiting ${formatDuration(health.oldestWaitingMs)}` : ''}
          {health.paused ? (
            <>
              {' · '}
              <span className="badge badge-tone-warn">paused</span>
            </>
          ) : null}
        </p>
      ) : null}
    </article>
  );
}
