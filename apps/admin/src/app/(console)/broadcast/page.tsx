import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { BroadcastPage } from '../../../components/broadcast';
import { PAGES } from '../../../lib/endpoints';
import { isUuid } from '../../../lib/recipients';

export const metadata: Metadata = { title: 'Broadcast' };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { batch } = await searchParams;
  // `/broadcast?batch=<id>` was a broadcast's address before it had a page of its own: kept working.
  if (typeof batch === 'string' && isUuid(batch)) redirect(PAGES.broadcast(batch.trim()));
  return <BroadcastPage />;
}
