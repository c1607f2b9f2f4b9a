'use client';

import type { JobDetail as Job } from '@mq/messaging-contracts';
import { isQueueName, QUEUE_POLICY } from '@mq/queue-contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api, isApiError } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatDuration } from '../lib/format';
import { JobAttempts } from './job-attempts';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

const UNFINISHED = new Set(['waiting', 'active', 'delayed', 'paused']);

/** Links shown for a batch before "and N more". */
const MESSAGE_LINKS_SHOWN = 20;

/** The messages a job is about (its own, a batch's, its receipts'): each has a timeline page. */
function messageIdsOf(job: Job): string[] {
  const { messageId, messageIds, receipts } = job.data as { messageId?: unknown; messageIds?: unknown; receipts?: unknown };
  const ids = [
    messageId,
    ...(Array.isArray(messageIds) ? messageIds : []),
    ...(Array.isArray(receipts)
      ? receipts.map((r: unknown) => (typeof r === 'object' && r !== null ? (r as { messageId?: unknown }).messageId : undefined))
      : []),
  ];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
}

export function JobDetail({ jobId }: { jobId: string }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: ({ signal }) => api.get('/messages/jobs/{jobId}', { path: { jobId }, signal }),
    refetchInterval: (query) => (query.state.data && UNFINISHED.has(query.state.data.state) ? 2_000 : 10_000),
  });
  const retry = useMutation({
    mutationFn: () => api.post('/messages/jobs/{jobId}/retry', { path: { jobId } }),
    onSuccess: (updated) => {
      if (updated) queryClient.setQueryData(['job', jobId], updated);
      void queryClient.invalidateQueries({ queryKey: ['job', jobId] });
      setNotice({ text: 'Retried: the job is waiting to run again.', error: false });
    },
    onError: (error) =>
      setNotice({
        text: isApiError(error) && error.status === 409 ? `Not retried: ${error.message}.` : `Retry failed: ${describeError(error)}`,
        error: true,
      }),
  });

  if (job.isError) {
    return (
      <>
        <h1>Job</h1>
        <p className="banner banner-error" role="alert">
          {isApiError(job.error) && job.error.status === 404
            ? `No job ${jobId}: it finished long ago or never existed.`
            : `Job unavailable: ${describeError(job.error)}`}
        </p>
        {isApiError(job.error) && job.error.status === 404 ? <JobAttempts jobId={jobId} live={false} /> : null}
      </>
    );
  }
  if (!job.data) {
    return (
      <>
        <h1>Job</h1>
        <p className="muted">Loading…</p>
      </>
    );
  }

  const data = job.data;
  const messageIds = messageIdsOf(data);
  const maxAttempts = isQueueName(data.queue) ? QUEUE_POLICY[data.queue].attempts : undefined;
  const progress = typeof data.progress === 'number' ? Math.max(0, Math.min(100, data.progress)) : null;
  const runMs = data.processedOn && data.finishedOn ? Date.parse(data.finishedOn) - Date.parse(data.processedOn) : null;

  return (
    <>
      <p className="breadcrumbs">
        <Link href={PAGES.dashboard}>Dashboard</Link> <span aria-hidden="true">›</span> <Link href={PAGES.queue(data.queue)}>{data.queue}</Link>{' '}
        <span aria-hidden="true">›</span> Job
      </p>
      <div className="page-heading">
        <h1>
          Job <span className="mono">{data.id}</span>
        </h1>
        <StateBadge state={data.state} />
      </div>

      <section className="panel" aria-labelledby="job-summary">
        <h2 id="job-summary" className="visually-hidden">
          Summary
        </h2>
        <dl className="facts">
          <div>
            <dt>Name</dt>
            <dd>{data.name}</dd>
          </div>
          <div>
            <dt>Queue</dt>
            <dd className="mono">{data.queue}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd data-testid="job-attempts">
              {data.attemptsMade}
              {maxAttempts ? ` of ${maxAttempts}` : ''}
            </dd>
          </div>
          <div>
            <dt>Progress</dt>
            <dd>
              {progress === 0 && data.state !== 'active' ? (
                <span className="muted">Not reported</span>
              ) : progress !== null ? (
                <span className="progress-inline">
                  <progress max={100} value={progress} aria-label="Job progress" /> {Math.round(progress)}%
                </span>
              ) : (
                <code>{JSON.stringify(data.progress)}</code>
              )}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(data.timestamp)}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(data.processedOn)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>
              {formatDateTime(data.finishedOn)}
              {runMs !== null && runMs >= 0 ? ` (${formatDuration(runMs)})` : ''}
            </dd>
          </div>
          {messageIds.length > 0 ? (
            <div>
              <dt>{messageIds.length === 1 ? 'Message' : `Messages (${messageIds.length})`}</dt>
              <dd>
                <ul className="plain-list">
                  {messageIds.slice(0, MESSAGE_LINKS_SHOWN).map((id) => (
                    <li key={id}>
                      <Link href={PAGES.message(id)}>Timeline of message {id}</Link>
                    </li>
                  ))}
                </ul>
                {messageIds.length > MESSAGE_LINKS_SHOWN ? <span className="muted">and {messageIds.length - MESSAGE_LINKS_SHOWN} more</span> : null}
              </dd>
            </div>
          ) : null}
        </dl>
        <div className="action-row">
          <button type="button" className="button button-primary" disabled={data.state !== 'failed' || retry.isPending} onClick={() => retry.mutate()}>
            {retry.isPending ? 'Retrying…' : 'Retry job'}
          </button>
          {data.state !== 'failed' ? <span className="muted">Only a failed job can be retried.</span> : null}
        </div>
        <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
          {notice?.text ?? ''}
        </p>
      </section>

      <JobAttempts jobId={jobId} live={UNFINISHED.has(data.state)} />

      <section className="panel" aria-labelledby="job-data-title">
        <h2 id="job-data-title">Data</h2>
        <p className="muted">Job payloads carry ids only, never message content.</p>
        <pre className="code-block">{JSON.stringify(data.data, null, 2)}</pre>
        {data.returnvalue !== null && data.returnvalue !== undefined ? (
          <>
            <h3>Return value</h3>
            <pre className="code-block">{JSON.stringify(data.returnvalue, null, 2)}</pre>
          </>
        ) : null}
      </section>
    </>
  );
}
