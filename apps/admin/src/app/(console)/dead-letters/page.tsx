import type { Metadata } from 'next';
import { NotYetAvailable } from '../../../components/not-yet-available';

export const metadata: Metadata = { title: 'Dead letters' };

export default function Page() {
  return <NotYetAvailable title="Dead letters" purpose="Jobs that used up every attempt, kept for inspection, replay or discard." />;
}
