import type { Metadata } from 'next';
import { AlertsPanel } from '../../components/alerts-panel';
import { RedisPanel, WorkersPanel } from '../../components/fleet-panels';
import { MetricsHistoryPanel } from '../../components/metrics-history-panel';
import { QueueOverview } from '../../components/queue-overview';
import { RecentFailures } from '../../components/recent-failures';
import { TrafficHeadline } from '../../components/traffic-headline';

export const metadata: Metadata = { title: 'Dashboard' };

export default function DashboardPage() {
  return (
    <>
      <h1>Dashboard</h1>
      <TrafficHeadline />
      <QueueOverview />
      <div className="dashboard-columns">
        <AlertsPanel />
        <RecentFailures />
      </div>
      <WorkersPanel />
      <RedisPanel />
      <MetricsHistoryPanel />
    </>
  );
}
