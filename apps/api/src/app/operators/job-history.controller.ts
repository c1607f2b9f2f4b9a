import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, HttpStatus } from '@nestjs/common';
import { JobEventRepository, MessageTimelineRepository } from '@mq/db';
import type { JobSearchResults, MessageTimeline } from '@mq/messaging-contracts';
import { Roles } from '../auth/auth.decorators';
import { JobSearchQueryDto } from './job-history.dto';
import { STATE_OF_KIND, toMessageTimeline } from './message-timeline.mapper';

/**
 * Answers from Postgres, never by scanning Redis: a message's whole story, and job search
 * by job id, message id, user id or error text. Both outlive Bull's bounded retention.
 */
@Controller()
@Roles('admin')
export class JobHistoryController {
  constructor(
    private readonly timelines: MessageTimelineRepository,
    private readonly jobEvents: JobEventRepository,
  ) {}

  @ApiResult(HttpStatus.OK, 'MessageTimeline')
  @Get('messages/:id/timeline')
  async timeline(@Param('id', ParseUUIDPipe) messageId: string): Promise<MessageTimeline> {
    const history = await this.timelines.history(messageId);
    if (!history) throw new NotFoundException(`Message ${messageId} not found`);
    return toMessageTimeline(messageId, history);
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
