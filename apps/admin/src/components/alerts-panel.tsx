'use client';

import { formatDateTime, formatNumber } from '../lib/format';
import { useOpenAlerts } from '../lib/queue-metrics';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

/** Open alerts (failure rate, backlog, oldest waiting, stalled, Redis): refreshed on every `alert` event. */
export function AlertsPanel() {
  const alerts = useOpenAlerts();
  const open = alerts.data ?? [];
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <div className="section-heading">
        <h2 id="alerts-title">Open alerts</h2>
        <p className="muted" role="status" aria-live="polite">
          {alerts.data ? (open.length === 0 ? 'None open.' : `${open.length} open.`) : ''}
        </p>
      </div>
      {alerts.isError ? (
        <p className="banner banner-error" role="alert">
          Alerts unavailable: {describeError(alerts.error)}
        </p>
      ) : !alerts.data ? (
        <p className="muted">Loading…</p>
      ) : open.length === 0 ? (
        <p className="muted">All rules are within their thresholds.</p>
      ) : (
        <ul className="alert-list">
          {open.map((alert) => (
            <li key={alert.id} className={`alert-item alert-${alert.severity}`}>
              <div className="alert-head">
                <StateBadge state={alert.severity} />
                <strong>{alert.rule}</strong>
                {alert.queue ? <span className="mono">{alert.queue}</span> : null}
              </div>
              <p>{alert.message}</p>
              <p className="muted">
                Value {formatNumber(alert.value)} (threshold {formatNumber(alert.threshold)}) · open since {formatDateTime(alert.openedAt)} · last seen{' '}
                {formatDateTime(alert.lastSeenAt)}
              </p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
