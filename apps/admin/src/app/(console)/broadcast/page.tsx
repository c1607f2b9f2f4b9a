import type { Metadata } from 'next';
import { BroadcastPage } from '../../../components/broadcast';
import { isUuid } from '../../../lib/recipients';

export const metadata: Metadata = { title: 'Broadcast' };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { batch } = await searchParams;
  const batchId = typeof batch === 'string' && isUuid(batch) ? batch : undefined;
  return <BroadcastPage key={batchId ?? 'new'} batchId={batchId} />;
}
