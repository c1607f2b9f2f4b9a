import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { IsString, Length } from 'class-validator';
import { DataSource } from 'typeorm';
import type { JobSearchResults, JobState, MessageTimeline, TimelineEvent } from '@mq/messaging-contracts';
import { Roles } from '../auth/auth.decorators';

export class JobSearchQueryDto {
  @IsString() @Length(1, 200) q!: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job payload (jsonb column) that is about message $1: its own, one of a batch's, or a receipt's. */
const ABOUT_MESSAGE = (column: string) =>
  `(${column}->>'messageId' = $1 OR ${column}->'messageIds' ? $1 OR ${column}->'receipts' @> jsonb_build_array(jsonb_build_object('messageId', $1::text)))`;

const STATE_OF_KIND: Record<string, JobState> = { completed: 'completed', failed: 'failed', 'attempt-failed': 'delayed', retried: 'waiting' };

/**
 * Answers from Postgres, never by scanning Redis: a message's whole story, and job search
 * by job id, message id, user id or error text. Both outlive Bull's bounded retention.
 */
@Controller()
@Roles('admin')
export class JobHistoryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('messages/:id/timeline')
  async timeline(@Param('id', ParseUUIDPipe) messageId: string): Promise<MessageTimeline> {
    const [message] = (await this.dataSource.query(
      `SELECT created_at, seq, priority, send_at, deleted_at FROM messages WHERE id = $1`,
      [messageId],
    )) as { created_at: Date; seq: string | null; priority: string; send_at: Date | null; deleted_at: Date | null }[];
    if (!message) throw new NotFoundException(`Message ${messageId} not found`);
    const events: (Omit<TimelineEvent, 'at'> & { at: Date })[] = [
      {
        at: message.created_at,
        kind: 'accepted',
        detail: message.send_at ? `scheduled for ${message.send_at.toISOString()} (${message.priority})` : `accepted (${message.priority} priority)`,
      },
    ];
    if (message.deleted_at) events.push({ at: message.deleted_at, kind: 'deleted', detail: 'deleted' });

    const published: { job_id: string; queue: string; published_at: Date }[] = await this.dataSource.query(
      `SELECT job_id, queue, published_at FROM outbox WHERE ${ABOUT_MESSAGE('payload')} AND published_at IS NOT NULL`,
      [messageId],
    );
    for (const row of published) events.push({ at: row.published_at, kind: 'published', detail: `${row.job_id} published to ${row.queue}` });

    // A job of many messages names none of them in job_events: it is found by its outbox row or by the delivery rows it sent.
    const jobs: { job_id: string; job_name: string; kind: string; attempt: number; error: string | null; duration_ms: number | null; at: Date }[] =
      await this.dataSource.query(
        `SELECT job_id, job_name, kind, attempt, error, duration_ms, at FROM job_events
         WHERE message_id = $1 OR job_id = ANY($2::text[]) OR job_id IN (SELECT job_id FROM message_deliveries WHERE message_id = $1 AND job_id IS NOT NULL)`,
        [messageId, published.map((row) => row.job_id)],
      );
    for (const row of jobs) {
      const what = `${row.job_name} ${row.job_id} attempt ${row.attempt}`;
      if (row.kind === 'completed') events.push({ at: row.at, kind: 'attempt', detail: `${what} completed${row.duration_ms !== null ? ` in ${row.duration_ms} ms` : ''}` });
      else if (row.kind === 'attempt-failed') events.push({ at: row.at, kind: 'attempt', detail: `${what} failed: ${row.error ?? 'unknown error'}; will retry` });
      else if (row.kind === 'failed') events.push({ at: row.at, kind: 'failed', detail: `${what} failed for good: ${row.error ?? 'unknown error'}` });
      else events.push({ at: row.at, kind: 'retried', detail: `${row.job_name} ${row.job_id} retried by an operator` });
    }

    const deliveries: { recipient_id: string; sent_at: Date | null; delivered_at: Date | null; read_at: Date | null; failed_at: Date | null; failure_reason: string | null }[] =
      await this.dataSource.query(
        `SELECT recipient_id, sent_at, delivered_at, read_at, failed_at, failure_reason FROM message_deliveries WHERE message_id = $1`,
        [messageId],
      );
    for (const d of deliveries) {
      if (d.sent_at) events.push({ at: d.sent_at, kind: 'emitted', detail: `sent to ${d.recipient_id}` });
      if (d.delivered_at) events.push({ at: d.delivered_at, kind: 'delivered', detail: `delivered to ${d.recipient_id}` });
      if (d.read_at) events.push({ at: d.read_at, kind: 'read', detail: `read by ${d.recipient_id}` });
      if (d.failed_at) events.push({ at: d.failed_at, kind: 'failed', detail: `delivery to ${d.recipient_id} failed: ${d.failure_reason ?? 'unknown'}` });
    }

    const notifications: { user_id: string; channel: string; status: string; error: string | null; created_at: Date; sent_at: Date | null }[] =
      await this.dataSource.query(`SELECT user_id, channel, status, error, created_at, sent_at FROM notifications WHERE message_id = $1`, [messageId]);
    for (const n of notifications) {
      events.push({
        at: n.sent_at ?? n.created_at,
        kind: 'notification',
        detail: `${n.channel} notification to ${n.user_id}: ${n.status}${n.error ? ` (${n.error})` : ''}`,
      });
    }

    const letters: { job_id: string; failed_reason: string; failed_at: Date; replayed_at: Date | null }[] = await this.dataSource.query(
      `SELECT job_id, failed_reason, failed_at, replayed_at FROM dead_letters WHERE ${ABOUT_MESSAGE('data')}`,
      [messageId],
    );
    for (const l of letters) {
      events.push({ at: l.failed_at, kind: 'failed', detail: `${l.job_id} dead-lettered: ${l.failed_reason}` });
      if (l.replayed_at) events.push({ at: l.replayed_at, kind: 'retried', detail: `${l.job_id} replayed from the dead letters` });
    }

    events.sort((a, b) => a.at.getTime() - b.at.getTime());
    return { messageId, events: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
  }

  /** The latest event of each matching job, newest first. */
  @Get('jobs/search')
  async search(@Query() query: JobSearchQueryDto): Promise<JobSearchResults> {
    const q = query.q.trim();
    const id = UUID.test(q) ? q : null;
    const rows: { queue: string; job_id: string; job_name: string; kind: string; message_id: string | null; user_id: string | null; error: string | null; at: Date }[] =
      await this.dataSource.query(
        `SELECT * FROM (
           SELECT DISTINCT ON (job_id) queue, job_id, job_name, kind, message_id, user_id, error, at FROM job_events
           WHERE job_id = $1 OR job_id LIKE $1 || ':%' OR message_id = $2::uuid OR user_id = $2::uuid
              OR job_id IN (SELECT job_id FROM message_deliveries WHERE message_id = $2::uuid AND job_id IS NOT NULL)
              OR ($2::uuid IS NULL AND error ILIKE '%' || $1 || '%')
           ORDER BY job_id, at DESC, id DESC
         ) latest ORDER BY at DESC LIMIT 100`,
        [q, id],
      );
    return {
      results: rows.map((r) => ({
        queue: r.queue,
        jobId: r.job_id,
        name: r.job_name,
        state: STATE_OF_KIND[r.kind] ?? 'completed',
        messageId: r.message_id,
        userId: r.user_id,
        error: r.error,
        at: r.at.toISOString(),
      })),
    };
  }
}
