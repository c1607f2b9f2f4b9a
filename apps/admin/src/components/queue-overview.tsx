'use client';

import { QUEUE_NAMES, type QueueCounts, type QueueName } from '@mq/queue-contracts';
import { isApiError } from '../lib/api-client';
import { METRICS_POLL_MS } from '../lib/endpoints';
import { useQueueMetrics } from '../lib/queue-metrics';

/** The six Bull counts, in the order an operator reads them. */
export const COUNT_FIELDS: ReadonlyArray<{ key: keyof QueueCounts; label: string }> = [
  { key: 'waiting', label: 'Waiting' },
  { key: 'active', label: 'Active' },
  { key: 'completed', label: 'Completed' },
  { key: 'failed', label: 'Failed' },
  { key: 'delayed', label: 'Delayed' },
  { key: 'paused', label: 'Paused' },
];

const numberFormat = new Intl.NumberFormat('en');
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export type CardState = { kind: 'loading' } | { kind: 'unavailable' } | { kind: 'ready'; counts: QueueCounts };

function isCounts(value: unknown): value is QueueCounts {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return COUNT_FIELDS.every(({ key }) => typeof record[key] === 'number' && Number.isFinite(record[key]));
}

function describeError(error: unknown): string {
  if (!isApiError(error)) return 'the request failed.';
  if (error.isUnavailable) return 'the API is unreachable.';
  if (error.status === 401) return 'your session has ended.';
  if (error.status === 403) return 'this account may not read queue metrics.';
  return error.message;
}

export function QueueOverview() {
  const metrics = useQueueMetrics();
  const seconds = METRICS_POLL_MS / 1000;

  // A failed poll means the numbers on screen are no longer current: show none rather than stale ones.
  const failing = metrics.isError;
  const data = failing ? undefined : metrics.data;
  const updatedAt = data?.timestamp ? new Date(data.timestamp) : undefined;

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
        <p className="muted" aria-live="off">
          {failing
            ? `Retrying every ${seconds} seconds.`
            : updatedAt && !Number.isNaN(updatedAt.getTime())
              ? `Updated ${timeFormat.format(updatedAt)}, refreshed every ${seconds} seconds.`
              : 'Loading…'}
        </p>
      </div>
      {failing ? (
        <p className="banner banner-error" role="alert">
          Metrics unavailable: {describeError(metrics.error)}
        </p>
      ) : null}
      <ul className="queue-grid">
        {QUEUE_NAMES.map((queue) => (
          <li key={queue}>
            <QueueCard queue={queue} state={stateOf(queue)} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function QueueCard({ queue, state }: { queue: QueueName; state: CardState }) {
  const titleId = `queue-${queue}`;
  return (
    <article
      className="queue-card"
      aria-labelledby={titleId}
      aria-busy={state.kind === 'loading' || undefined}
      data-queue={queue}
      data-state={state.kind}
    >
      <h3 id={titleId} className="queue-name">
        {queue}
      </h3>
      {state.kind === 'ready' ? (
        <dl className="counts">
          {COUNT_FIELDS.map(({ key, label }) => (
            <div key={key} className={`count count-${key}`} data-nonzero={state.counts[key] > 0 || undefined}>
              <dt>{label}</dt>
              <dd>{numberFormat.format(state.counts[key])}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className={state.kind === 'loading' ? 'card-state' : 'card-state card-state-error'}>
          {state.kind === 'loading' ? 'Loading…' : 'Metrics unavailable'}
        </p>
      )}
    </article>
  );
}
