import type { Metadata } from 'next';
import { QueueOverview } from '../../components/queue-overview';

export const metadata: Metadata = { title: 'Dashboard' };

export default function DashboardPage() {
  return (
    <>
      <h1>Dashboard</h1>
      <QueueOverview />
    </>
  );
}
