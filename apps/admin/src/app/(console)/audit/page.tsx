import type { Metadata } from 'next';
import { NotYetAvailable } from '../../../components/not-yet-available';

export const metadata: Metadata = { title: 'Audit' };

export default function Page() {
  return <NotYetAvailable title="Audit" purpose="Who retried, paused, cleaned or replayed what, and when." />;
}
