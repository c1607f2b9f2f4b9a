'use client';

import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api-client';
import { formatLatency, formatNumber } from '../lib/format';
import { describeError } from './queue-overview';

const REFRESH_MS = 5_000;

/** The dashboard's headline: real traffic over the last hour, as the workers measured it. */
export function TrafficHeadline() {
  const traffic = useQuery({ queryKey: ['traffic'], queryFn: ({ signal }) => api.get('/traffic', { signal }), refetchInterval: REFRESH_MS });
  const data = traffic.data;
  return (
    <section className="panel" aria-labelledby="traffic-title">
      <div className="section-heading">
        <h2 id="traffic-title">Traffic, last hour</h2>
        {data ? (
          <p className="muted">
            {formatNumber(data.messages)} messages · {formatNumber(data.deliveries)} deliveries acknowledged by a device
          </p>
        ) : null}
      </div>
      {traffic.isError ? (
        <p className="banner banner-error" role="alert">
          Traffic unavailable: {describeError(traffic.error)}
        </p>
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : (
        <dl className="headline">
          <div>
            <dt>Messages/s</dt>
            <dd data-testid="traffic-rate">{data.messagesPerSecond.toLocaleString('en-GB', { maximumFractionDigits: 1 })}</dd>
          </div>
          <div>
            <dt>Send → receive p50</dt>
            <dd data-testid="traffic-p50">{formatLatency(data.p50Ms)}</dd>
          </div>
          <div>
            <dt>Send → receive p99</dt>
            <dd data-testid="traffic-p99">{formatLatency(data.p99Ms)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
