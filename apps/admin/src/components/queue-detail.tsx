'use client';

import { QUEUE_POLICY, type QueueName } from '@mq/queue-contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState } from 'react';
import { useAdminRealtime } from '../lib/admin-realtime';
import { api, isApiError } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { CLEAN_AGES, LISTABLE, type ListableState, countOf, progressText } from '../lib/queue-jobs';
import { errorFirstLine, formatDateTime, formatNumber, formatPercent } from '../lib/format';
import { QUEUE_HEALTH_QUERY_KEY, QUEUE_METRICS_QUERY_KEY, useQueueHealth, useQueueMetrics } from '../lib/queue-metrics';
import { useBulkAction } from './bulk-action';
import { COUNT_FIELDS, describeError } from './queue-overview';
import { HealthBadge, StateBadge } from './status-badge';

export const PAGE_SIZE = 25;

export function QueueDetail({ queue }: { queue: QueueName }) {
  const queryClient = useQueryClient();
  const realtime = useAdminRealtime();
  const metrics = useQueueMetrics({ live: realtime.state === 'connected' });
  const health = useQueueHealth();
  const [state, setState] = useState<ListableState>('failed');
  const [page, setPage] = useState(0);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const [cleanState, setCleanState] = useState<'completed' | 'failed'>('completed');
  const [cleanAge, setCleanAge] = useState<number>(CLEAN_AGES[1].ms);
  const cleanStateId = useId();
  const cleanAgeId = useId();

  const counts = metrics.data?.queues?.[queue];
  const entry = health.data?.queues?.[queue];
  const paused = entry?.paused;
  const start = page * PAGE_SIZE;

  const jobs = useQuery({
    queryKey: ['queue', queue, 'jobs', state, start],
    queryFn: ({ signal }) => api.get('/queue/{name}/jobs', { path: { name: queue }, query: { state, start, end: start + PAGE_SIZE - 1 }, signal }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  const report = (text: string, error = false) => setNotice({ text, error });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['queue', queue] });
    void queryClient.invalidateQueries({ queryKey: QUEUE_METRICS_QUERY_KEY });
    void queryClient.invalidateQueries({ queryKey: QUEUE_HEALTH_QUERY_KEY });
  };

  const pauseResume = useMutation({
    mutationFn: (action: 'pause' | 'resume') => api.post(`/queue/{name}/${action}` as const, { path: { name: queue } }),
    onSuccess: (_data, action) => {
      report(action === 'pause' ? `${queue} is paused: no new jobs start.` : `${queue} is running again.`);
      refresh();
    },
    onError: (error) => report(`Could not change the queue: ${isApiError(error) ? error.message : 'request failed'}.`, true),
  });

  const dry = async (action: 'retry-failed' | 'promote' | 'clean', body: object) =>
    countOf(await api.post(`/queue/{name}/${action}` as const, { path: { name: queue }, body: { ...body, dryRun: true } }));
  const after = <T,>(value: T) => {
    refresh();
    return value;
  };

  const retryAll = useBulkAction(
    {
      question: (n) => `Retry ${formatNumber(n)} failed job${n === 1 ? '' : 's'} of ${queue}?`,
      nothing: `${queue} has no failed jobs to retry.`,
      confirmLabel: (n) => `Retry ${formatNumber(n)}`,
      done: (n) => `Retried ${formatNumber(n)} job${n === 1 ? '' : 's'}.`,
      detail: 'Each goes back to waiting with its attempts reset; jobs whose cause is not fixed will fail again.',
    },
    () => dry('retry-failed', {}),
    async () => after(countOf(await api.post('/queue/{name}/retry-failed', { path: { name: queue }, body: {} }))),
    report,
  );
  const promote = useBulkAction(
    {
      question: (n) => `Run ${formatNumber(n)} delayed job${n === 1 ? '' : 's'} of ${queue} now?`,
      nothing: `${queue} has no delayed jobs.`,
      confirmLabel: (n) => `Promote ${formatNumber(n)}`,
      done: (n) => `Promoted ${formatNumber(n)} job${n === 1 ? '' : 's'}.`,
      detail: 'Scheduled messages among them go out now instead of at their time.',
    },
    () => dry('promote', {}),
    async () => after(countOf(await api.post('/queue/{name}/promote', { path: { name: queue }, body: {} }))),
    report,
  );
  const clean = useBulkAction(
    {
      question: (n) => `Remove ${formatNumber(n)} ${cleanState} job${n === 1 ? '' : 's'} from ${queue}?`,
      nothing: `${queue} has no ${cleanState} jobs ${CLEAN_AGES.find((a) => a.ms === cleanAge)?.label ?? ''}.`,
      confirmLabel: (n) => `Remove ${formatNumber(n)}`,
      done: (n) => `Removed ${formatNumber(n)} job${n === 1 ? '' : 's'}.`,
      tone: 'danger',
      detail: 'They leave Redis for good; their history stays in the message timelines and the audit log.',
    },
    () => dry('clean', { state: cleanState, olderThanMs: cleanAge }),
    async () => after(countOf(await api.post('/queue/{name}/clean', { path: { name: queue }, body: { state: cleanState, olderThanMs: cleanAge } }))),
    report,
  );

  const total = jobs.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const policy = QUEUE_POLICY[queue];

  return (
    <>
      <p className="breadcrumbs">
        <Link href={PAGES.dashboard}>Dashboard</Link> <span aria-hidden="true">›</span> Queue
      </p>
      <div className="page-heading">
        <h1 className="mono">{queue}</h1>
        {entry ? <HealthBadge status={entry.status} /> : null}
        {paused ? (
          <span className="badge badge-tone-warn" data-testid="paused-badge">
            Paused
          </span>
        ) : null}
      </div>
      <p className="muted">
        Concurrency {policy.concurrency} per worker · {policy.attempts} attempts, {policy.backoff.type} backoff from {policy.backoff.delayMs / 1000} s
        {entry ? ` · failure rate ${formatPercent(entry.failureRate)}` : ''}
      </p>

      <section className="panel" aria-labelledby="counts-title">
        <h2 id="counts-title" className="visually-hidden">
          Job counts
        </h2>
        {counts ? (
          <dl className="counts counts-wide">
            {COUNT_FIELDS.map(({ key, label }) => (
              <div key={key} className={`count count-${key}`} data-count={key} data-nonzero={counts[key] > 0 || undefined}>
                <dt>{label}</dt>
                <dd>{formatNumber(counts[key])}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p className="muted">{metrics.isError ? `Counts unavailable: ${describeError(metrics.error)}` : 'Loading…'}</p>
        )}
      </section>

      <section className="panel" aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <div className="action-row">
          {/* Not disabled while the call runs: a disabled button would drop keyboard focus. */}
          <button
            type="button"
            className="button"
            disabled={paused === undefined}
            aria-busy={pauseResume.isPending || undefined}
            onClick={() => {
              if (!pauseResume.isPending) pauseResume.mutate(paused ? 'resume' : 'pause');
            }}
          >
            {paused ? 'Resume queue' : 'Pause queue'}
          </button>
          <button type="button" className="button" onClick={retryAll.start} aria-busy={retryAll.phase.kind === 'checking' || undefined}>
            {retryAll.phase.kind === 'checking' ? 'Counting…' : 'Retry all failed…'}
          </button>
          <button type="button" className="button" onClick={promote.start} aria-busy={promote.phase.kind === 'checking' || undefined}>
            {promote.phase.kind === 'checking' ? 'Counting…' : 'Promote delayed…'}
          </button>
        </div>
        <form
          className="action-row clean-form"
          onSubmit={(event) => {
            event.preventDefault();
            clean.start();
          }}
        >
          <span className="inline-label" aria-hidden="true">
            Clean
          </span>
          <label htmlFor={cleanStateId} className="visually-hidden">
            State of the jobs to clean
          </label>
          <select id={cleanStateId} className="select" value={cleanState} onChange={(e) => setCleanState(e.target.value as 'completed' | 'failed')}>
            <option value="completed">completed jobs</option>
            <option value="failed">failed jobs</option>
          </select>
          <label htmlFor={cleanAgeId} className="visually-hidden">
            Age of the jobs to clean
          </label>
          <select id={cleanAgeId} className="select" value={cleanAge} onChange={(e) => setCleanAge(Number(e.target.value))}>
            {CLEAN_AGES.map((age) => (
              <option key={age.ms} value={age.ms}>
                {age.label}
              </option>
            ))}
          </select>
          <button type="submit" className="button" aria-busy={clean.phase.kind === 'checking' || undefined}>
            {clean.phase.kind === 'checking' ? 'Counting…' : 'Clean…'}
          </button>
        </form>
        <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
          {notice?.text ?? ''}
        </p>
        {retryAll.dialog}
        {promote.dialog}
        {clean.dialog}
      </section>

      <section className="panel" aria-labelledby="jobs-title">
        <div className="section-heading">
          <h2 id="jobs-title">Jobs</h2>
          <div className="segmented" role="group" aria-label="Show jobs in state">
            {LISTABLE.map((option) => (
              <button
                key={option}
                type="button"
                className="button button-small"
                aria-pressed={option === state}
                onClick={() => {
                  setState(option);
                  setPage(0);
                }}
              >
                {option}
                {counts ? ` (${formatNumber(counts[option as keyof typeof counts] ?? 0)})` : ''}
              </button>
            ))}
          </div>
        </div>
        {jobs.isError ? (
          <p className="banner banner-error" role="alert">
            Jobs unavailable: {describeError(jobs.error)}
          </p>
        ) : !jobs.data ? (
          <p className="muted">Loading…</p>
        ) : jobs.data.jobs.length === 0 ? (
          <p className="muted">No {state} jobs.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">
                {state} jobs of {queue}, {start + 1} to {start + jobs.data.jobs.length} of {total}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Created</th>
                  <th scope="col">Finished</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.jobs.map((job) => (
                  <tr key={job.id}>
                    <td className="mono">
                      <Link href={PAGES.job(job.id)}>{job.id}</Link>
                    </td>
                    <td>{job.name}</td>
                    <td>
                      <StateBadge state={job.state} />
                    </td>
                    <td>{job.attemptsMade}</td>
                    <td>{progressText(job.progress, job.state)}</td>
                    <td>{formatDateTime(job.timestamp)}</td>
                    <td>{formatDateTime(job.finishedOn)}</td>
                    <td className="reason">{errorFirstLine(job.failedReason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Job pages">
          <button type="button" className="button button-small" disabled={page === 0} onClick={() => setPage((p) => Math.max(0, p - 1))}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages} · {formatNumber(total)} {state}
          </span>
          <button type="button" className="button button-small" disabled={page + 1 >= pages} onClick={() => setPage((p) => p + 1)}>
            Next
          </button>
        </nav>
      </section>
    </>
  );
}
