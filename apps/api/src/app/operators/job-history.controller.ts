import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Get, Inject, NotFoundException, Param, ParseUUIDPipe, Query, HttpStatus } from '@nestjs/common';
import { JobEventRepository, MessageTimelineRepository } from '@mq/db';
import type { JobHistory, JobSearchResults, MessageTimeline } from '@mq/messaging-contracts';
import { API_CONFIG, ApiConfig } from '../api.config';
import { Roles } from '../auth/auth.decorators';
import { JobSearchQueryDto } from './job-history.dto';
import { STATE_OF_KIND, toMessageTimeline } from './message-timeline.mapper';

/**
 * Answers from Postgres, never by scanning Redis: a message's whole story, and job search
 * by job id, message id, user id or error text. Both outlive Bull's bounded retention.
 */
/** A job retried forever is a bug, but its page must still load: the history shown is capped. */
const MAX_HISTORY_EVENTS = 200;

@Controller()
@Roles('admin')
export class JobHistoryController {
  constructor(
    private readonly timelines: MessageTimelineRepository,
    private readonly jobEvents: JobEventRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @ApiResult(HttpStatus.OK, 'MessageTimeline')
  @Get('messages/:id/timeline')
  async timeline(@Param('id', ParseUUIDPipe) messageId: string): Promise<MessageTimeline> {
    const history = await this.timelines.history(messageId);
    if (!history) throw new NotFoundException(`Message ${messageId} not found`);
    return toMessageTimeline(messageId, history, this.config.tracing.traceUrlTemplate);
  }

  /** Every attempt of one job from Postgres: it outlives Bull's retention of the job itself. */
  @ApiResult(HttpStatus.OK, 'JobHistory')
  @Get('jobs/:jobId/history')
  async history(@Param('jobId') jobId: string): Promise<JobHistory> {
    const events = await this.jobEvents.history(jobId, MAX_HISTORY_EVENTS);
    return {
      jobId,
      attempts: events.map(({ jobId: _, at, durationMs, ...event }) => ({
        ...event,
        durationMs,
        startedAt: durationMs === null ? null : new Date(at.getTime() - durationMs).toISOString(),
        at: at.toISOString(),
      })),
    };
  }

  /** The latest event of each matching job, newest first. */
  @ApiResult(HttpStatus.OK, 'JobSearchResults')
  @Get('jobs/search')
  async search(@Query() query: JobSearchQueryDto): Promise<JobSearchResults> {
    const matches = await this.jobEvents.search(query.q.trim());
    return {
      results: matches.map(({ kind, jobName, at, ...match }) => ({ ...match, name: jobName, state: STATE_OF_KIND[kind] ?? 'completed', at: at.toISOString() })),
    };
  }
}
