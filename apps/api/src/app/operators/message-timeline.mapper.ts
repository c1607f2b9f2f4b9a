import type { MessageHistory } from '@mq/db';
import type { JobState, MessageTimeline, TimelineEvent, TraceLink } from '@mq/messaging-contracts';
import { JOB, JOB_DEFINITIONS, traceIdOf } from '@mq/queue-contracts';
import { traceUrlFor } from '@mq/tracing';

/** The job state a job's latest recorded event implies. */
export const STATE_OF_KIND: Record<string, JobState> = { completed: 'completed', failed: 'failed', 'attempt-failed': 'delayed', retried: 'waiting' };

type DatedEvent = Omit<TimelineEvent, 'at'> & { at: Date };

function jobEvent(row: MessageHistory['jobEvents'][number]): DatedEvent {
  const what = `${row.jobName} ${row.jobId} attempt ${row.attempt}`;
  if (row.kind === 'completed') return { at: row.at, kind: 'attempt', detail: `${what} completed${row.durationMs !== null ? ` in ${row.durationMs} ms` : ''}` };
  if (row.kind === 'attempt-failed') return { at: row.at, kind: 'attempt', detail: `${what} failed: ${row.error ?? 'unknown error'}; will retry` };
  if (row.kind === 'failed') return { at: row.at, kind: 'failed', detail: `${what} failed for good: ${row.error ?? 'unknown error'}` };
  return { at: row.at, kind: 'retried', detail: `${row.jobName} ${row.jobId} retried by an operator` };
}

/** A message's history as one list of events, oldest first; with `traceUrlTemplate`, each traced hop links to its trace. */
export function toMessageTimeline(messageId: string, history: MessageHistory, traceUrlTemplate?: string): MessageTimeline {
  const { message } = history;
  const link = (traceparent: string | null | undefined): { trace?: TraceLink } => {
    const traceId = traceIdOf(traceparent);
    return traceId ? { trace: { traceId, traceUrl: traceUrlFor(traceUrlTemplate, traceId) } } : {};
  };
  const jobTraces = new Map(history.published.map((row) => [row.jobId, row.traceparent]));
  const receiptTraces = new Map(history.receiptTraces.map((r) => [`${r.recipientId}:${r.status}`, r.traceparent]));
  // The send's trace: its first traced send job's context.
  const sent = history.published.find((row) => row.jobId.startsWith(`${JOB_DEFINITIONS[JOB.SEND_MESSAGE].idPrefix}:`) && traceIdOf(row.traceparent));
  const sentTrace = link(sent?.traceparent).trace;
  const events: DatedEvent[] = [
    {
      at: message.createdAt,
      kind: 'accepted',
      detail: message.sendAt ? `scheduled for ${message.sendAt.toISOString()} (${message.priority})` : `accepted (${message.priority} priority)`,
    },
  ];
  if (message.deletedAt) events.push({ at: message.deletedAt, kind: 'deleted', detail: 'deleted' });
  for (const row of history.published) {
    events.push({ at: row.publishedAt, kind: 'published', detail: `${row.jobId} published to ${row.queue}`, ...link(row.traceparent) });
  }
  for (const row of history.jobEvents) events.push({ ...jobEvent(row), ...link(jobTraces.get(row.jobId)) });
  for (const d of history.deliveries) {
    if (d.sentAt) events.push({ at: d.sentAt, kind: 'emitted', detail: `sent to ${d.recipientId}` });
    if (d.deliveredAt) {
      events.push({ at: d.deliveredAt, kind: 'delivered', detail: `delivered to ${d.recipientId}`, ...link(receiptTraces.get(`${d.recipientId}:delivered`)) });
    }
    if (d.readAt) events.push({ at: d.readAt, kind: 'read', detail: `read by ${d.recipientId}`, ...link(receiptTraces.get(`${d.recipientId}:read`)) });
    if (d.failedAt) events.push({ at: d.failedAt, kind: 'failed', detail: `delivery to ${d.recipientId} failed: ${d.failureReason ?? 'unknown'}` });
  }
  for (const n of history.notifications) {
    const fallback = n.fallbackOf ? `, fallback for notification ${n.fallbackOf}` : '';
    events.push({
      at: n.sentAt ?? n.createdAt,
      kind: 'notification',
      detail: `${n.channel} notification ${n.id} to ${n.userId}: ${n.status}${n.error ? ` (${n.error})` : ''}${fallback}`,
    });
    if (n.providerStatus && n.providerStatusAt) {
      events.push({
        at: n.providerStatusAt,
        kind: 'notification-feedback',
        detail: `${n.channel} notification ${n.id} to ${n.userId}: ${n.providerStatus} (provider)${n.providerDetail ? `: ${n.providerDetail}` : ''}`,
      });
    }
  }
  for (const l of history.deadLetters) {
    events.push({ at: l.failedAt, kind: 'failed', detail: `${l.jobId} dead-lettered: ${l.failedReason}` });
    if (l.replayedAt) events.push({ at: l.replayedAt, kind: 'retried', detail: `${l.jobId} replayed from the dead letters` });
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { messageId, events: events.map((e) => ({ ...e, at: e.at.toISOString() })), trace: sentTrace ?? null };
}
