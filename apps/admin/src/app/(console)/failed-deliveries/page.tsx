import type { Metadata } from 'next';
import { FailedDeliveries } from '../../../components/failed-deliveries';

export const metadata: Metadata = { title: 'Failed deliveries' };

export default function Page() {
  return <FailedDeliveries />;
}
