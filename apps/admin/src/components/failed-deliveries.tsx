'use client';

import type { FailedDelivery } from '@mq/messaging-contracts';
import { QUEUE } from '@mq/queue-contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { api } from '../lib/api-client';
import type { CallArgs } from '../lib/api-request.types';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { FailedDeliveryGroups } from './failed-delivery-groups';
import { MessageDeliveries } from './message-timeline';
import { LoadMore } from './load-more';
import { describeError } from './queue-overview';

type FailedDeliveriesQuery = NonNullable<CallArgs<'/deliveries/failed', 'get'>['query']>;

const PAGE_LIMIT = 50;

export interface DeliveryFilters {
  /** Empty: any queue. */
  queue: FailedDeliveriesQuery['queue'] | '';
  reason: string;
  /** `datetime-local` values (the operator's local time). */
  from: string;
  to: string;
}

const NO_FILTERS: DeliveryFilters = { queue: '', reason: '', from: '', to: '' };

/** The api's query string: local times become ISO instants; empty filters are left out. */
/** The list's query: only the filters given, times as ISO instants. */
export function filterQuery(filters: DeliveryFilters, cursor?: string): FailedDeliveriesQuery {
  const query: FailedDeliveriesQuery = { limit: PAGE_LIMIT };
  if (filters.queue) query.queue = filters.queue;
  if (filters.reason.trim()) query.reason = filters.reason.trim();
  for (const key of ['from', 'to'] as const) {
    const date = filters[key] ? new Date(filters[key]) : null;
    if (date && !Number.isNaN(date.getTime())) query[key] = date.toISOString();
  }
  if (cursor) query.cursor = cursor;
  return query;
}

const keyOf = (d: FailedDelivery) => `${d.messageId}:${d.recipientId}`;

export function FailedDeliveries() {
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<DeliveryFilters>(NO_FILTERS);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [retried, setRetried] = useState<string[]>([]);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const ids = { queue: useId(), reason: useId(), from: useId(), to: useId() };

  const list = useInfiniteQuery({
    queryKey: ['deliveries', 'failed', filters],
    queryFn: ({ pageParam, signal }) => api.get('/deliveries/failed', { query: filterQuery(filters, pageParam), signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.deliveries) ?? [], [list.data]);
  const selectedRows = rows.filter((row) => selected.has(keyOf(row)));
  const messageIds = [...new Set(selectedRows.map((row) => row.messageId))];

  const retry = useMutation({
    mutationFn: (messageIds: string[]) => api.post('/deliveries/retry', { body: { messageIds } }),
    onSuccess: (answer, messageIds) => {
      setNotice({
        text: `Retried ${formatNumber(answer.retried)} message${answer.retried === 1 ? '' : 's'}. Their deliveries are followed below.`,
        error: false,
      });
      setRetried((previous) => [...messageIds, ...previous.filter((id) => !messageIds.includes(id))].slice(0, 20));
      setSelected(new Set());
      void queryClient.invalidateQueries({ queryKey: ['deliveries', 'failed'] });
    },
    onError: (error) => setNotice({ text: `Retry failed: ${describeError(error)}`, error: true }),
  });

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFilters({
      queue: String(form.get('queue') ?? '') as DeliveryFilters['queue'],
      reason: String(form.get('reason') ?? ''),
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
    });
    setSelected(new Set());
  }

  const toggle = (key: string, on: boolean) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });
  const allSelected = rows.length > 0 && rows.every((row) => selected.has(keyOf(row)));

  return (
    <>
      <h1>Failed deliveries</h1>
      <FailedDeliveryGroups
        onShow={(reason) => {
          setFilters({ ...NO_FILTERS, reason });
          setSelected(new Set());
        }}
      />
      <section className="panel" aria-labelledby="filters-title">
        <h2 id="filters-title">Filters</h2>
        <form className="filters" onSubmit={applyFilters} key={JSON.stringify(filters)}>
          <div className="field">
            <label htmlFor={ids.queue}>Queue</label>
            <select id={ids.queue} name="queue" className="select" defaultValue={filters.queue}>
              <option value="">Any</option>
              <option value={QUEUE.DELIVERY}>{QUEUE.DELIVERY} (direct sends)</option>
              <option value={QUEUE.BATCH}>{QUEUE.BATCH} (broadcasts, large groups)</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.reason}>Reason contains</label>
            <input id={ids.reason} name="reason" type="search" defaultValue={filters.reason} maxLength={200} />
          </div>
          <div className="field">
            <label htmlFor={ids.from}>Failed from</label>
            <input id={ids.from} name="from" type="datetime-local" defaultValue={filters.from} />
          </div>
          <div className="field">
            <label htmlFor={ids.to}>Failed before</label>
            <input id={ids.to} name="to" type="datetime-local" defaultValue={filters.to} />
          </div>
          <div className="filter-actions">
            <button type="submit" className="button button-primary">
              Apply filters
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setFilters(NO_FILTERS);
                setSelected(new Set());
              }}
            >
              Clear
            </button>
          </div>
        </form>
      </section>

      <section className="panel" aria-labelledby="failed-title">
        <div className="section-heading">
          <h2 id="failed-title">Deliveries that failed</h2>
          <div className="toolbar">
            <span className="muted">{selectedRows.length > 0 ? `${selectedRows.length} selected` : ''}</span>
            <button
              type="button"
              className="button button-primary"
              disabled={messageIds.length === 0 || retry.isPending}
              onClick={() => retry.mutate(messageIds)}
            >
              {retry.isPending ? 'Retrying…' : `Retry selected${selectedRows.length ? ` (${selectedRows.length})` : ''}`}
            </button>
          </div>
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
          <p className="muted">No failed deliveries{Object.values(filters).some(Boolean) ? ' match these filters' : ''}.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Failed deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col" className="select-cell">
                    <input
                      type="checkbox"
                      aria-label="Select every delivery shown"
                      checked={allSelected}
                      onChange={(event) => setSelected(event.target.checked ? new Set(rows.map(keyOf)) : new Set())}
                    />
                  </th>
                  <th scope="col">Failed</th>
                  <th scope="col">Message</th>
                  <th scope="col">Recipient</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Job</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={keyOf(row)} data-message-id={row.messageId} data-recipient-id={row.recipientId}>
                    <td className="select-cell">
                      <input
                        type="checkbox"
                        aria-label={`Select the delivery of message ${row.messageId} to ${row.recipientId}`}
                        checked={selected.has(keyOf(row))}
                        onChange={(event) => toggle(keyOf(row), event.target.checked)}
                      />
                    </td>
                    <td>{formatDateTime(row.failedAt)}</td>
                    <td className="mono">
                      <Link href={PAGES.message(row.messageId)}>{row.messageId}</Link>
                    </td>
                    <td className="mono">{row.recipientId}</td>
                    <td className="reason">{row.failureReason ?? ''}</td>
                    <td>{row.attempts}</td>
                    <td className="mono">{row.jobId ? <Link href={PAGES.job(row.jobId)}>{row.jobId}</Link> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore query={list} label="Load more" />
      </section>

      {retried.length > 0 ? (
        <section className="panel" aria-labelledby="retried-title">
          <h2 id="retried-title">Retried</h2>
          <p className="muted">Each retried message&apos;s deliveries, refreshed every few seconds.</p>
          {retried.map((messageId) => (
            <div key={messageId} className="retried-message" data-testid="retried-message" data-message-id={messageId}>
              <h3>
                Message <Link href={PAGES.message(messageId)}>{messageId}</Link>
              </h3>
              {/* A retried delivery that moves on leaves the failed list at once, not at its next 10 s refresh. */}
              <MessageDeliveries
                messageId={messageId}
                caption={`Deliveries of message ${messageId}`}
                onChange={() => void queryClient.invalidateQueries({ queryKey: ['deliveries', 'failed'] })}
              />
            </div>
          ))}
        </section>
      ) : null}
    </>
  );
}
