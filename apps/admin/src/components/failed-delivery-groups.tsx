'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { describeError } from './queue-overview';

/** Failed deliveries by cause; "Show" filters the list below to one cause, where they can be selected and retried. */
export function FailedDeliveryGroups({ onShow }: { onShow: (reasonFilter: string) => void }) {
  const groups = useQuery({
    queryKey: ['deliveries', 'failed', 'groups'],
    queryFn: ({ signal }) => api.get('/deliveries/failed/groups', { signal }),
    refetchInterval: 10_000,
  });
  const rows = groups.data ?? [];
  return (
    <section className="panel" aria-labelledby="delivery-groups-title">
      <h2 id="delivery-groups-title">By cause</h2>
      {groups.isError ? (
        <p className="banner banner-error" role="alert">
          Causes unavailable: {describeError(groups.error)}
        </p>
      ) : !groups.data ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No failed deliveries, so no causes.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Failed deliveries grouped by cause, the most recently seen first</caption>
            <thead>
              <tr>
                <th scope="col">Deliveries</th>
                <th scope="col">Cause</th>
                <th scope="col">First / last seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((group) => (
                <tr key={group.reason} data-delivery-cause={group.reason}>
                  <td data-testid="cause-count">{formatNumber(group.count)}</td>
                  <td className="reason">
                    {group.reason}
                    <br />
                    <span className="muted">
                      Latest:{' '}
                      <Link className="mono" href={PAGES.message(group.sample.messageId)}>
                        {group.sample.messageId}
                      </Link>
                    </span>
                  </td>
                  <td>
                    {formatDateTime(group.firstSeen)}
                    <br />
                    {formatDateTime(group.lastSeen)}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => onShow(group.filter)}
                      aria-label={`Show the deliveries that failed: ${group.reason}`}
                    >
                      Show these
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
