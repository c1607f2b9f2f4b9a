import type { FiringAlertRecord, OpenAlertKey } from '@mq/db';
import type { EventCounts } from './job-event.tally';
import type { AlertThresholds } from './monitoring.config';

export const ALERT_RULES = Object.freeze(['failure-rate', 'backlog', 'oldest-waiting', 'stalled', 'redis-unreachable'] as const);
export type AlertRule = (typeof ALERT_RULES)[number];

/** What the rules look at for one queue. */
export interface QueueObservation {
  queue: string;
  /** Jobs waiting to run: Bull's waiting plus paused lists. */
  backlog: number;
  oldestWaitingMs: number;
  /** Jobs finished (and stalls seen) during the failure window. */
  window: EventCounts;
}

export interface Observation {
  redisReachable: boolean;
  /** Absent when the queues could not be read: their rules are then not assessed at all. */
  queues?: readonly QueueObservation[];
}

/** A condition that holds now: one alert row per dedupe key while it does. */
export interface FiringAlert extends FiringAlertRecord {
  rule: AlertRule;
}

export interface Assessment {
  firing: FiringAlert[];
  /** The rules that were evaluated: only their open alerts may resolve. */
  assessed: ReadonlySet<AlertRule>;
}

export interface AlertPlan {
  /** Conditions with no open alert yet. */
  open: FiringAlert[];
  /** Conditions still holding: their open alert gets a new value and last_seen_at. */
  refresh: FiringAlert[];
  /** Open alerts whose condition has cleared. */
  resolve: OpenAlertKey[];
}

export const dedupeKeyOf = (rule: AlertRule, queue: string | null): string => `${rule}:${queue ?? '*'}`;

const round1 = (value: number) => Math.round(value * 10) / 10;

function firing(alert: Omit<FiringAlert, 'dedupeKey'>): FiringAlert {
  return { ...alert, dedupeKey: dedupeKeyOf(alert.rule, alert.queue) };
}

function queueAlerts(observation: QueueObservation, thresholds: AlertThresholds): FiringAlert[] {
  const { queue, backlog, oldestWaitingMs, window } = observation;
  const alerts: FiringAlert[] = [];
  const finished = window.completed + window.failed;
  const failurePercent = finished === 0 ? 0 : round1((window.failed / finished) * 100);
  if (finished >= thresholds.failureMinJobs && failurePercent > thresholds.failureRatePercent) {
    alerts.push(
      firing({
        rule: 'failure-rate',
        queue,
        severity: 'critical',
        value: failurePercent,
        threshold: thresholds.failureRatePercent,
        message: `${queue}: ${failurePercent}% of ${finished} jobs failed in the last ${thresholds.failureWindowMinutes} min (over ${thresholds.failureRatePercent}%)`,
      }),
    );
  }
  if (backlog > thresholds.backlog) {
    alerts.push(
      firing({
        rule: 'backlog',
        queue,
        severity: 'warning',
        value: backlog,
        threshold: thresholds.backlog,
        message: `${queue}: ${backlog} jobs waiting (over ${thresholds.backlog})`,
      }),
    );
  }
  const oldestSeconds = Math.floor(oldestWaitingMs / 1000);
  if (oldestSeconds > thresholds.oldestWaitingSeconds) {
    alerts.push(
      firing({
        rule: 'oldest-waiting',
        queue,
        severity: 'warning',
        value: oldestSeconds,
        threshold: thresholds.oldestWaitingSeconds,
        message: `${queue}: the oldest waiting job has waited ${oldestSeconds} s (over ${thresholds.oldestWaitingSeconds} s)`,
      }),
    );
  }
  if (window.stalled > 0) {
    alerts.push(
      firing({
        rule: 'stalled',
        queue,
        severity: 'warning',
        value: window.stalled,
        threshold: 0,
        message: `${queue}: ${window.stalled} stalled job(s) in the last ${thresholds.failureWindowMinutes} min (a worker lost its lock)`,
      }),
    );
  }
  return alerts;
}

/** Which conditions hold, given what was observed. */
export function assessAlertRules(observation: Observation, thresholds: AlertThresholds): Assessment {
  const assessed = new Set<AlertRule>(['redis-unreachable']);
  const alerts: FiringAlert[] = [];
  if (!observation.redisReachable) {
    alerts.push(
      firing({
        rule: 'redis-unreachable',
        queue: null,
        severity: 'critical',
        value: 1,
        threshold: 0,
        message: 'Redis does not answer the worker: no job can run',
      }),
    );
  }
  if (observation.queues) {
    for (const rule of ALERT_RULES) assessed.add(rule);
    for (const queue of observation.queues) alerts.push(...queueAlerts(queue, thresholds));
  }
  return { firing: alerts, assessed };
}

/** Reconciles what fires now with the open alerts: open new ones, refresh held ones, resolve cleared ones. */
export function planAlertChanges(openAlerts: readonly OpenAlertKey[], assessment: Assessment): AlertPlan {
  const openKeys = new Set(openAlerts.map((alert) => alert.dedupeKey));
  const firingKeys = new Set(assessment.firing.map((alert) => alert.dedupeKey));
  return {
    open: assessment.firing.filter((alert) => !openKeys.has(alert.dedupeKey)),
    refresh: assessment.firing.filter((alert) => openKeys.has(alert.dedupeKey)),
    resolve: openAlerts.filter((alert) => !firingKeys.has(alert.dedupeKey) && (assessment.assessed as ReadonlySet<string>).has(alert.rule)),
  };
}
