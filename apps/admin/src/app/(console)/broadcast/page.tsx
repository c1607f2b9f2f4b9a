import type { Metadata } from 'next';
import { NotYetAvailable } from '../../../components/not-yet-available';

export const metadata: Metadata = { title: 'Broadcast' };

export default function Page() {
  return <NotYetAvailable title="Broadcast" purpose="Send one message to many recipients in chunks, and follow its progress." />;
}
