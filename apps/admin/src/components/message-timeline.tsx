'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef } from 'react';
import { api, isApiError } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime } from '../lib/format';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

/** Deliveries still moving are re-read often; settled ones rarely. */
const REFRESH_MS = 3_000;

/** `onChange`: called whenever the deliveries read differ from the last read (react-query keeps equal data the same object). */
export function MessageDeliveries({ messageId, caption = 'Deliveries', onChange }: { messageId: string; caption?: string; onChange?: () => void }) {
  const deliveries = useQuery({
    queryKey: ['message', messageId, 'deliveries'],
    queryFn: ({ signal }) => api.get('/messages/{id}/deliveries', { path: { id: messageId }, signal }),
    refetchInterval: (query) => (query.state.data?.every((d) => d.status === 'read') ? false : REFRESH_MS),
  });
  // Only a change of the data is news, not a new callback on each render of the parent.
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    if (deliveries.data) onChangeRef.current?.();
  }, [deliveries.data]);
  if (deliveries.isError) {
    return (
      <p className="banner banner-error" role="alert">
        Deliveries unavailable: {describeError(deliveries.error)}
      </p>
    );
  }
  if (!deliveries.data) return <p className="muted">Loading…</p>;
  if (deliveries.data.length === 0) return <p className="muted">No recipients.</p>;
  return (
    <div className="table-scroll">
      <table className="table" data-message-id={messageId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Reason</th>
            <th scope="col">Sent</th>
            <th scope="col">Delivered</th>
            <th scope="col">Read</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.map((delivery) => (
            <tr key={delivery.recipientId} data-recipient-id={delivery.recipientId}>
              <td className="mono">{delivery.recipientId}</td>
              <td>
                <StateBadge state={delivery.status} />
              </td>
              <td>{delivery.attempts}</td>
              <td className="reason">{delivery.failureReason ?? ''}</td>
              <td>{formatDateTime(delivery.sentAt)}</td>
              <td>{formatDateTime(delivery.deliveredAt)}</td>
              <td>{formatDateTime(delivery.readAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A hop's trace: a link to the trace UI when the api has TRACE_URL_TEMPLATE, else the trace id to look up. */
function TraceRef({ trace, label }: { trace: { traceId: string; traceUrl: string | null }; label: string }) {
  if (!trace.traceUrl) return <span className="mono muted">trace {trace.traceId}</span>;
  return (
    <a href={trace.traceUrl} target="_blank" rel="noreferrer" className="mono" aria-label={`${label}: trace ${trace.traceId} in the trace viewer`}>
      trace {trace.traceId.slice(0, 8)}…
    </a>
  );
}

/** A message's whole story, from Postgres: accepted, published, attempts, deliveries, receipts, failures, retries. */
export function MessageTimeline({ messageId }: { messageId: string }) {
  const timeline = useQuery({
    queryKey: ['message', messageId, 'timeline'],
    queryFn: ({ signal }) => api.get('/messages/{id}/timeline', { path: { id: messageId }, signal }),
    refetchInterval: 5_000,
  });
  return (
    <>
      <p className="breadcrumbs">
        <Link href={PAGES.dashboard}>Dashboard</Link> <span aria-hidden="true">›</span> Message
      </p>
      <h1>
        Message <span className="mono">{messageId}</span>
      </h1>
      <section className="panel" aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        <MessageDeliveries messageId={messageId} />
      </section>
      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p className="muted">Ids and outcomes only: message content is never shown here.</p>
        {timeline.data?.trace ? (
          <p data-testid="message-trace">
            Traced end to end: <TraceRef trace={timeline.data.trace} label="The message" />
          </p>
        ) : null}
        {timeline.isError ? (
          <p className="banner banner-error" role="alert">
            {isApiError(timeline.error) && timeline.error.status === 404 ? 'No such message.' : `Timeline unavailable: ${describeError(timeline.error)}`}
          </p>
        ) : !timeline.data ? (
          <p className="muted">Loading…</p>
        ) : (
          <ol className="timeline">
            {timeline.data.events.map((event, index) => (
              <li key={`${event.at}-${index}`} className={`timeline-event timeline-${event.kind}`} data-kind={event.kind}>
                <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                <StateBadge state={event.kind} />
                <span>{event.detail}</span>
                {event.trace ? <TraceRef trace={event.trace} label={event.detail} /> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
