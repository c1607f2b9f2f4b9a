'use client';

import { QUEUE_NAMES } from '@mq/queue-contracts';
import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { api } from '../lib/api-client';
import { formatNumber, formatShortTime } from '../lib/format';
import { buildHistorySeries, HISTORY_WINDOWS, type HistoryWindow } from '../lib/history';
import { LineChart } from './line-chart';
import { describeError } from './queue-overview';

const HISTORY_POLL_MS = 30_000;

/** Completed and failed per minute, and the backlog, for the last hour or 24 hours. */
export function MetricsHistoryPanel() {
  const [window, setWindow] = useState<HistoryWindow>(HISTORY_WINDOWS[0]);
  const [queue, setQueue] = useState<string>('all');
  const queueSelectId = useId();
  const history = useQuery({
    queryKey: ['queue', 'history', window.minutes],
    queryFn: ({ signal }) => api.get('/queue/metrics/history', { query: { minutes: window.minutes }, signal }),
    refetchInterval: HISTORY_POLL_MS,
    retry: false,
  });
  const series = useMemo(
    () => (history.data ? buildHistorySeries(history.data, queue, window.minutes, window.bucketMinutes, Date.now()) : undefined),
    // dataUpdatedAt: rebuild on every fetch, so the window's end moves with the clock.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [history.data, history.dataUpdatedAt, queue, window],
  );
  const unit = window.bucketMinutes === 1 ? 'jobs per minute' : `jobs per minute (${window.bucketMinutes}-minute average)`;
  const scope = queue === 'all' ? 'all queues' : queue;

  return (
    <section className="panel history-panel" aria-labelledby="history-title">
      <div className="section-heading">
        <h2 id="history-title">Throughput and backlog</h2>
        <div className="toolbar">
          <div className="segmented" role="group" aria-label="Time window">
            {HISTORY_WINDOWS.map((option) => (
              <button
                key={option.minutes}
                type="button"
                className="button button-small"
                aria-pressed={option.minutes === window.minutes}
                onClick={() => setWindow(option)}
              >
                {option.label}
              </button>
            ))}
          </div>
          <label htmlFor={queueSelectId} className="inline-label">
            Queue
          </label>
          <select id={queueSelectId} className="select" value={queue} onChange={(event) => setQueue(event.target.value)}>
            <option value="all">All queues</option>
            {QUEUE_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {history.isError ? (
        <p className="banner banner-error" role="alert">
          History unavailable: {describeError(history.error)}
        </p>
      ) : !series ? (
        <p className="muted">Loading…</p>
      ) : series.totals.sampledMinutes === 0 ? (
        <p className="muted">No samples in this window yet: the worker records the queues while it runs.</p>
      ) : (
        <>
          <p className="muted" data-testid="history-summary">
            {window.label}, {scope}: {formatNumber(series.totals.completed)} completed, {formatNumber(series.totals.failed)} failed, peak backlog{' '}
            {formatNumber(series.totals.peakWaiting)}.
          </p>
          <div className="chart-grid-2">
            <LineChart
              title={`Completed and failed jobs, ${window.label.toLowerCase()}`}
              summary={`${formatNumber(series.totals.completed)} jobs completed and ${formatNumber(series.totals.failed)} failed in ${scope} from ${formatShortTime(series.times[0])} to ${formatShortTime(series.times.at(-1))}.`}
              times={series.times}
              unit={unit}
              lines={[
                { label: 'Completed', values: series.completed, className: 'series-completed' },
                { label: 'Failed', values: series.failed, className: 'series-failed' },
              ]}
            />
            <LineChart
              title={`Backlog (waiting jobs), ${window.label.toLowerCase()}`}
              summary={`The backlog of ${scope} peaked at ${formatNumber(series.totals.peakWaiting)} waiting jobs.`}
              times={series.times}
              unit="waiting jobs (highest in each interval)"
              lines={[{ label: 'Waiting', values: series.waiting, className: 'series-waiting' }]}
            />
          </div>
          <details className="chart-data">
            <summary>Show the numbers as a table</summary>
            <div className="table-scroll">
              <table className="table table-compact">
                <caption className="visually-hidden">
                  {window.label}, {scope}, per {window.bucketMinutes === 1 ? 'minute' : `${window.bucketMinutes} minutes`}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">From</th>
                    <th scope="col">Completed / min</th>
                    <th scope="col">Failed / min</th>
                    <th scope="col">Waiting</th>
                  </tr>
                </thead>
                <tbody>
                  {series.times.map((at, index) =>
                    series.completed[index] === null ? null : (
                      <tr key={at}>
                        <th scope="row">{formatShortTime(at)}</th>
                        <td>{series.completed[index]}</td>
                        <td>{series.failed[index]}</td>
                        <td>{series.waiting[index]}</td>
                      </tr>
                    ),
                  )}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}
