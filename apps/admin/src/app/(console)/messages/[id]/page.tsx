import type { Metadata } from 'next';
import { MessageTimeline } from '../../../../components/message-timeline';
import { decodeParam } from '../../../../lib/endpoints';

export const metadata: Metadata = { title: 'Message timeline' };

export default async function MessagePage({ params }: { params: Promise<{ id: string }> }) {
  const messageId = decodeParam((await params).id);
  return <MessageTimeline key={messageId} messageId={messageId} />;
}
