'use client';

import type { AuditEntry } from '@mq/messaging-contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useState } from 'react';
import { api } from '../lib/api-client';
import { type AuditFilters, NO_AUDIT_FILTERS, auditExportHref, auditQuery, auditTargetHref } from '../lib/audit-links';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { describeError } from './queue-overview';

const PAGE_LIMIT = 50;

interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/**
 * Who retried, paused, cleaned, replayed or broadcast what, newest first, filtered by actor,
 * action, target and time; older pages by cursor (`x-next-cursor`); the whole filtered log as
 * CSV or JSON, streamed by the api.
 */
export function AuditLog() {
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const query = auditQuery(filters);
  const audit = useInfiniteQuery({
    queryKey: ['audit', query],
    queryFn: async ({ pageParam, signal }): Promise<AuditPage> => {
      const answer = await api.getWithAnswer('/audit', { query: { ...query, limit: PAGE_LIMIT, cursor: pageParam }, signal });
      return { entries: answer.body ?? [], nextCursor: answer.headers.get('x-next-cursor') };
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = audit.data?.pages.flatMap((page) => page.entries) ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <section className="panel" aria-labelledby="audit-title">
        <div className="section-heading">
          <h2 id="audit-title" className="visually-hidden">
            Operator actions
          </h2>
          <button type="button" className="button button-small" onClick={() => void audit.refetch()} disabled={audit.isFetching}>
            {audit.isFetching && !audit.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
          </button>
          <a className="button button-small" href={auditExportHref(filters, 'csv')} download>
            Export CSV
          </a>
          <a className="button button-small" href={auditExportHref(filters, 'json')} download>
            Export JSON
          </a>
        </div>
        <AuditFilterFields filters={filters} onChange={setFilters} />
        {audit.isError ? (
          <p className="banner banner-error" role="alert">
            Audit log unavailable: {describeError(audit.error)}
          </p>
        ) : !audit.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">{Object.keys(query).length ? 'No entry matches these filters.' : 'No operator actions yet.'}</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Operator actions, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((entry) => (
                  <tr key={entry.id}>
                    <td>{formatDateTime(entry.at)}</td>
                    <td className="mono">{entry.actorId ? <Link href={PAGES.users(entry.actorId)}>{entry.actorId}</Link> : 'system'}</td>
                    <td>{entry.action}</td>
                    <td className="mono">
                      <AuditTarget action={entry.action} target={entry.target} />
                    </td>
                    <td>{entry.count === null ? '' : formatNumber(entry.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {audit.hasNextPage ? (
          <button type="button" className="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
            {audit.isFetchingNextPage ? 'Loading…' : 'Load older entries'}
          </button>
        ) : rows.length > 0 ? (
          <p className="muted">That is the whole log.</p>
        ) : null}
      </section>
    </>
  );
}

function AuditTarget({ action, target }: { action: string; target: string }): ReactNode {
  const href = auditTargetHref(action, target);
  return href ? <Link href={href}>{target}</Link> : target;
}

function AuditFilterFields({ filters, onChange }: { filters: AuditFilters; onChange: (filters: AuditFilters) => void }) {
  const field = (key: keyof AuditFilters) => ({
    value: filters[key],
    onChange: (e: { target: { value: string } }) => onChange({ ...filters, [key]: e.target.value }),
  });
  return (
    <div className="filters" role="search" aria-label="Filter the audit log">
      <label>
        Action
        <input list="audit-actions" placeholder="queue. or user.update" maxLength={100} {...field('action')} />
      </label>
      <datalist id="audit-actions">
        {['queue.', 'job.', 'dead-letter.', 'deliveries.', 'broadcast.', 'user.', 'schedule.', 'encryption.', 'auth.', 'bull-board.'].map((family) => (
          <option key={family} value={family} />
        ))}
      </datalist>
      <label>
        Actor (user id)
        <input maxLength={36} {...field('actorId')} />
      </label>
      <label>
        Target
        <input maxLength={300} {...field('target')} />
      </label>
      <label>
        From
        <input type="datetime-local" {...field('from')} />
      </label>
      <label>
        To
        <input type="datetime-local" {...field('to')} />
      </label>
      <div className="filter-actions">
        <button type="button" className="button button-small" onClick={() => onChange(NO_AUDIT_FILTERS)}>
          Clear filters
        </button>
      </div>
    </div>
  );
}
