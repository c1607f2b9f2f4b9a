import { isQueueName } from '@mq/queue-contracts';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { QueueDetail } from '../../../../components/queue-detail';
import { decodeParam } from '../../../../lib/endpoints';

export const metadata: Metadata = { title: 'Queue' };

export default async function QueuePage({ params }: { params: Promise<{ name: string }> }) {
  const name = decodeParam((await params).name);
  if (!isQueueName(name)) notFound();
  return <QueueDetail queue={name} />;
}
