import type { Metadata } from 'next';
import { DeadLetters } from '../../../components/dead-letters';

export const metadata: Metadata = { title: 'Dead letters' };

export default function Page() {
  return <DeadLetters />;
}
