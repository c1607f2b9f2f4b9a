'use client';

import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api-client';
import { formatBytes, formatDateTime, formatDuration, formatNumber } from '../lib/format';
import { describeError } from './queue-overview';
import { StateBadge } from './status-badge';

/** Often enough to see a worker go lost within a few beats of it dying. */
const REFRESH_MS = 2_000;

/** Every worker process from its heartbeats: what it runs, how busy it is, and whether it still beats. */
export function WorkersPanel() {
  const workers = useQuery({ queryKey: ['workers'], queryFn: ({ signal }) => api.get('/workers', { signal }), refetchInterval: REFRESH_MS });
  const rows = workers.data ?? [];
  const lost = rows.filter((worker) => worker.status === 'lost').length;
  return (
    <section className="panel" aria-labelledby="workers-title">
      <div className="section-heading">
        <h2 id="workers-title">Workers</h2>
        <p className="muted" role="status" aria-live="polite">
          {workers.data ? `${rows.length - lost} alive${lost ? `, ${lost} lost` : ''}.` : ''}
        </p>
      </div>
      {workers.isError ? (
        <p className="banner banner-error" role="alert">
          Workers unavailable: {describeError(workers.error)}
        </p>
      ) : !workers.data ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No worker is running: nothing consumes the queues.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Worker processes, alive first</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Host · pid</th>
                <th scope="col">Queues (concurrency)</th>
                <th scope="col">Version</th>
                <th scope="col">Up</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Jobs/s</th>
                <th scope="col">Done · failed</th>
                <th scope="col">Memory</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((worker) => (
                <tr key={worker.id} data-worker-id={worker.id} data-status={worker.status}>
                  <td>
                    <StateBadge state={worker.status} />
                  </td>
                  <td className="mono">
                    {worker.host} · {worker.pid}
                  </td>
                  <td>{worker.queues.map((queue) => `${queue.name} (${queue.concurrency})`).join(', ')}</td>
                  <td className="mono">{worker.version}</td>
                  <td>{formatDuration(Date.parse(worker.lastHeartbeatAt) - Date.parse(worker.startedAt))}</td>
                  <td>{formatDateTime(worker.lastHeartbeatAt)}</td>
                  <td>{formatNumber(worker.jobsPerSecond)}</td>
                  <td>
                    {formatNumber(worker.jobsCompleted)} · {formatNumber(worker.jobsFailed)}
                  </td>
                  <td>{formatBytes(worker.rssBytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The Redis the queues run on, node by node, with what an operator must fix (an evicting policy, a full memory). */
export function RedisPanel() {
  const redis = useQuery({ queryKey: ['redis'], queryFn: ({ signal }) => api.get('/redis', { signal }), refetchInterval: 10_000 });
  const report = redis.data;
  return (
    <section className="panel" aria-labelledby="redis-title">
      <div className="section-heading">
        <h2 id="redis-title">Redis</h2>
        <p className="muted">{report ? `${report.mode}, ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'}` : ''}</p>
      </div>
      {redis.isError ? (
        <p className="banner banner-error" role="alert">
          Redis report unavailable: {describeError(redis.error)}
        </p>
      ) : !report ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          {report.nodes.flatMap((node) =>
            node.warnings.map((warning) => (
              <p key={`${node.address}:${warning}`} className="banner banner-warning" role="alert">
                {node.address}: {warning}
              </p>
            )),
          )}
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Redis nodes</caption>
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Role</th>
                  <th scope="col">Version</th>
                  <th scope="col">Memory (peak)</th>
                  <th scope="col">Fragmentation</th>
                  <th scope="col">Clients</th>
                  <th scope="col">Replicas</th>
                  <th scope="col">Ops/s</th>
                  <th scope="col">Eviction</th>
                </tr>
              </thead>
              <tbody>
                {report.nodes.map((node) => (
                  <tr key={node.address} data-redis-node={node.address}>
                    <td className="mono">{node.address}</td>
                    <td>{node.role}</td>
                    <td>{node.version}</td>
                    <td>
                      {formatBytes(node.usedMemoryBytes)} ({formatBytes(node.peakMemoryBytes)})
                    </td>
                    <td>{node.fragmentationRatio.toFixed(2)}</td>
                    <td>{formatNumber(node.connectedClients)}</td>
                    <td>{formatNumber(node.connectedReplicas)}</td>
                    <td>{formatNumber(node.opsPerSecond)}</td>
                    <td className="mono">{node.maxmemoryPolicy ?? 'unknown'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted">
            Jobs held:{' '}
            {Object.entries(report.jobsPerQueue)
              .map(([queue, jobs]) => `${queue} ${formatNumber(jobs)}`)
              .join(' · ')}
          </p>
        </>
      )}
    </section>
  );
}
