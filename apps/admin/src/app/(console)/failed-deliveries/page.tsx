import type { Metadata } from 'next';
import { NotYetAvailable } from '../../../components/not-yet-available';

export const metadata: Metadata = { title: 'Failed deliveries' };

export default function Page() {
  return <NotYetAvailable title="Failed deliveries" purpose="Deliveries that failed, with their reason and attempts, to retry one at a time or many at once." />;
}
