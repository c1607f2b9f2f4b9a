'use client';

import Link from 'next/link';
import { useAdminRealtime } from '../lib/admin-realtime';
import { PAGES } from '../lib/endpoints';
import { errorFirstLine, formatTime } from '../lib/format';

/** `job:failed` as it happens (only while the live socket is up). */
export function RecentFailures() {
  const { state, recentFailures } = useAdminRealtime();
  return (
    <section className="panel" aria-labelledby="recent-failures-title">
      <h2 id="recent-failures-title">Failures as they happen</h2>
      {recentFailures.length === 0 ? (
        <p className="muted">{state === 'connected' ? 'No job has failed since this page opened.' : 'Shown while live updates are connected.'}</p>
      ) : (
        <ul className="failure-feed">
          {recentFailures.map((failure) => (
            <li key={`${failure.jobId}-${failure.receivedAt}`}>
              <span className="muted">{formatTime(failure.receivedAt)}</span> <span className="mono">{failure.queue}</span>{' '}
              <Link href={PAGES.job(failure.jobId)}>{failure.name}</Link>: {errorFirstLine(failure.failedReason)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
