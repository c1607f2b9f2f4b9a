'use client';

import type { ScheduledJob } from '@mq/messaging-contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { errorFirstLine, formatDateTime } from '../lib/format';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

type ScheduleAction = 'pause' | 'resume' | 'run';

const DONE: Record<ScheduleAction, string> = { pause: 'paused', resume: 'resumed', run: 'started now' };

/** Every repeatable job (the nightly cleanup, …): its schedule, next and last run; pause, resume, run now. Audited by the api. */
export function Schedules() {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const schedules = useQuery({ queryKey: ['schedules'], queryFn: ({ signal }) => api.get('/schedules', { signal }), refetchInterval: 5_000 });
  const act = useMutation({
    mutationFn: ({ action, schedule }: { action: ScheduleAction; schedule: ScheduledJob }) => api.post(`/schedules/${action}`, { body: { key: schedule.key } }),
    onSuccess: (_answer, { action, schedule }) => {
      setNotice({ text: `${schedule.name} ${DONE[action]}.`, error: false });
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
    },
    onError: (error, { action }) => setNotice({ text: `Could not ${action === 'run' ? 'run' : action} the schedule: ${describeError(error)}`, error: true }),
  });
  const rows = schedules.data ?? [];
  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">Repeatable jobs. A paused schedule stays paused when workers restart; running one now does not move its next run.</p>
      <p className={notice?.error ? 'notice notice-error' : 'notice'} role="status" aria-live="polite">
        {notice?.text ?? ''}
      </p>
      <section className="panel" aria-labelledby="schedules-title">
        <h2 id="schedules-title" className="visually-hidden">
          Repeatable jobs
        </h2>
        {schedules.isError ? (
          <p className="banner banner-error" role="alert">
            Schedules unavailable: {describeError(schedules.error)}
          </p>
        ) : !schedules.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">No repeatable job is registered (a worker consuming message-cleanup registers the nightly cleanup).</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Repeatable jobs</caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Queue</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Status</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((schedule) => (
                  <tr key={schedule.key} data-schedule={schedule.name} data-status={schedule.status}>
                    <td>{schedule.name}</td>
                    <td>
                      <Link href={PAGES.queue(schedule.queue)}>{schedule.queue}</Link>
                    </td>
                    <td className="mono">
                      {schedule.cron ?? '—'} {schedule.timeZone ? `(${schedule.timeZone})` : ''}
                    </td>
                    <td>
                      <StateBadge state={schedule.status} />
                    </td>
                    <td>{formatDateTime(schedule.nextRunAt)}</td>
                    <td data-testid="last-run">
                      {schedule.lastRun ? (
                        <>
                          <Link href={PAGES.job(schedule.lastRun.jobId)}>{formatDateTime(schedule.lastRun.finishedAt)}</Link>{' '}
                          <StateBadge state={schedule.lastRun.state} /> {errorFirstLine(schedule.lastRun.failedReason)}
                        </>
                      ) : (
                        'never'
                      )}
                    </td>
                    <td className="actions">
                      {schedule.status === 'active' ? (
                        <>
                          <button
                            type="button"
                            className="button button-small"
                            disabled={act.isPending}
                            onClick={() => act.mutate({ action: 'pause', schedule })}
                          >
                            Pause<span className="visually-hidden"> {schedule.name}</span>
                          </button>
                          <button
                            type="button"
                            className="button button-small"
                            disabled={act.isPending}
                            onClick={() => act.mutate({ action: 'run', schedule })}
                          >
                            Run now<span className="visually-hidden"> {schedule.name}</span>
                          </button>
                        </>
                      ) : (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={act.isPending}
                          onClick={() => act.mutate({ action: 'resume', schedule })}
                        >
                          Resume<span className="visually-hidden"> {schedule.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
