'use client';

import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api-client';
import { errorFirstLine, formatDateTime, formatDuration } from '../lib/format';
import { describeError } from './queue-overview';

const KIND_LABEL = { completed: 'Completed', 'attempt-failed': 'Failed, retrying', failed: 'Failed for good', retried: 'Retried by an operator' } as const;

/**
 * Every attempt of a job from its history in Postgres: start, end, the worker process that ran
 * it, its error and stack. Bull keeps only the failed attempts' traces, and only while it keeps
 * the job; this is there after, too.
 */
export function JobAttempts({ jobId, live }: { jobId: string; live: boolean }) {
  const history = useQuery({
    queryKey: ['job', jobId, 'history'],
    queryFn: ({ signal }) => api.get('/jobs/{jobId}/history', { path: { jobId }, signal }),
    refetchInterval: live ? 2_000 : 10_000,
  });
  const attempts = history.data?.attempts ?? [];
  return (
    <section className="panel" aria-labelledby="job-history-title">
      <h2 id="job-history-title">Attempts</h2>
      {history.isError ? (
        <p className="banner banner-error" role="alert">
          History unavailable: {describeError(history.error)}
        </p>
      ) : !history.data ? (
        <p className="muted">Loading…</p>
      ) : attempts.length === 0 ? (
        <p className="muted">No attempt has finished yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="job-history">
            <caption className="visually-hidden">Every attempt of this job, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Result</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Took</th>
                <th scope="col">Worker</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt, index) => (
                <tr key={index} data-kind={attempt.kind}>
                  <td>{attempt.attempt === 0 ? '—' : attempt.attempt}</td>
                  <td>{KIND_LABEL[attempt.kind]}</td>
                  <td>{attempt.startedAt ? formatDateTime(attempt.startedAt) : '—'}</td>
                  <td>{formatDateTime(attempt.at)}</td>
                  <td>{attempt.durationMs === null ? '—' : formatDuration(attempt.durationMs)}</td>
                  <td className="mono">{attempt.worker ?? '—'}</td>
                  <td className="reason">
                    {attempt.error ? errorFirstLine(attempt.error) : '—'}
                    {attempt.stack ? (
                      <details>
                        <summary>Stack trace</summary>
                        <pre className="stack">{attempt.stack}</pre>
                      </details>
                    ) : null}
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
