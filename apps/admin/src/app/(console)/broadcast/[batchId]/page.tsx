import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { BroadcastDetail } from '../../../../components/broadcast-detail';
import { decodeParam } from '../../../../lib/endpoints';
import { isUuid } from '../../../../lib/recipients';

export const metadata: Metadata = { title: 'Broadcast' };

export default async function BroadcastDetailPage({ params }: { params: Promise<{ batchId: string }> }) {
  const batchId = decodeParam((await params).batchId);
  if (!isUuid(batchId)) notFound();
  return <BroadcastDetail key={batchId} batchId={batchId} />;
}
