'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { errorFirstLine, formatDateTime } from '../lib/format';
import { isUuid } from '../lib/recipients';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

export function SearchResults({ q }: { q: string }) {
  const results = useQuery({
    queryKey: ['search', q],
    queryFn: ({ signal }) => api.get('/jobs/search', { query: { q }, signal }),
    enabled: q.length > 0,
  });
  return (
    <>
      <h1>Search</h1>
      {q ? (
        <p>
          Jobs matching <strong className="mono">{q}</strong> (job id, message id, user id or error text).
          {isUuid(q) ? (
            <>
              {' '}
              If it is a message: <Link href={PAGES.message(q)}>open the timeline of message {q}</Link>.
            </>
          ) : null}
        </p>
      ) : (
        <p className="muted">Type a job id, message id, user id or part of an error in the search box above.</p>
      )}
      {!q ? null : results.isError ? (
        <p className="banner banner-error" role="alert">
          Search failed: {describeError(results.error)}
        </p>
      ) : !results.data ? (
        <p className="muted" role="status">
          Searching…
        </p>
      ) : (
        <section className="panel" aria-labelledby="results-title">
          <h2 id="results-title" role="status">
            {results.data.results.length === 0 ? 'No jobs found' : `${results.data.results.length} job${results.data.results.length === 1 ? '' : 's'}`}
          </h2>
          {results.data.results.length > 0 ? (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Queue</th>
                    <th scope="col">Name</th>
                    <th scope="col">Last state</th>
                    <th scope="col">Message</th>
                    <th scope="col">User</th>
                    <th scope="col">Error</th>
                    <th scope="col">At</th>
                  </tr>
                </thead>
                <tbody>
                  {results.data.results.map((result) => (
                    <tr key={`${result.queue}:${result.jobId}`}>
                      <td className="mono">
                        <Link href={PAGES.job(result.jobId)}>{result.jobId}</Link>
                      </td>
                      <td className="mono">{result.queue}</td>
                      <td>{result.name}</td>
                      <td>
                        <StateBadge state={result.state} />
                      </td>
                      <td className="mono">{result.messageId ? <Link href={PAGES.message(result.messageId)}>{result.messageId}</Link> : '—'}</td>
                      <td className="mono">{result.userId ?? '—'}</td>
                      <td className="reason">{errorFirstLine(result.error)}</td>
                      <td>{formatDateTime(result.at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      )}
    </>
  );
}
