import type { HealthStatus } from '@mq/messaging-contracts';

const HEALTH_LABEL: Record<HealthStatus, string> = { healthy: 'Healthy', degraded: 'Degraded', unhealthy: 'Unhealthy' };
const HEALTH_ICON: Record<HealthStatus, string> = { healthy: '●', degraded: '▲', unhealthy: '■' };

/** Health as text plus a shape, never colour alone. */
export function HealthBadge({ status }: { status: HealthStatus }) {
  return (
    <span className={`badge badge-${status}`} data-health={status}>
      <span aria-hidden="true">{HEALTH_ICON[status]} </span>
      {HEALTH_LABEL[status] ?? status}
    </span>
  );
}

const STATE_TONE: Record<string, string> = {
  failed: 'danger',
  completed: 'ok',
  active: 'info',
  waiting: 'neutral',
  delayed: 'neutral',
  paused: 'warn',
  stuck: 'warn',
  delivered: 'ok',
  read: 'ok',
  sent: 'info',
  queued: 'neutral',
  running: 'info',
  cancelled: 'warn',
  warning: 'warn',
  critical: 'danger',
  alive: 'ok',
  lost: 'danger',
};

/** A job, delivery or batch state as a labelled pill. */
export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-tone-${STATE_TONE[state] ?? 'neutral'}`} data-state={state}>
      {state}
    </span>
  );
}
