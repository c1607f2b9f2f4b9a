'use client';

import type { AuditEntry } from '@mq/messaging-contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../lib/api-client';
import { formatDateTime, formatNumber } from '../lib/format';
import { describeError } from './queue-overview';

const PAGE_LIMIT = 50;

interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/** Who retried, paused, cleaned, replayed or broadcast what, newest first; older pages by cursor (`x-next-cursor`). */
export function AuditLog() {
  const audit = useInfiniteQuery({
    queryKey: ['audit'],
    queryFn: async ({ pageParam, signal }): Promise<AuditPage> => {
      const answer = await api.getWithAnswer('/audit', { query: { limit: PAGE_LIMIT, cursor: pageParam }, signal });
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
        </div>
        {audit.isError ? (
          <p className="banner banner-error" role="alert">
            Audit log unavailable: {describeError(audit.error)}
          </p>
        ) : !audit.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">No operator actions yet.</p>
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
                    <td className="mono">{entry.actorId ?? 'system'}</td>
                    <td>{entry.action}</td>
                    <td className="mono">{entry.target}</td>
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
