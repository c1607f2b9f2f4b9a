import { Body, Controller, Get, HttpCode, HttpStatus, NotFoundException, Post } from '@nestjs/common';
import type { ScheduledJob } from '@mq/messaging-contracts';
import { AuditLogRepository } from '@mq/db';
import { ScheduleNotFoundError, ScheduleService } from '@mq/queue';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { ApiResult } from '../openapi/api-result.decorator';
import { ScheduleActionDto } from './schedules.dto';

/** An unknown schedule is the client's 404, whatever the service found. */
async function notFoundAs404<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof ScheduleNotFoundError ? new NotFoundException(error.message) : error;
  }
}

/** Repeatable jobs (the nightly cleanup, …): list, pause, resume, run now; each action audited. */
@Controller('schedules')
@Roles('admin')
export class SchedulesController {
  constructor(
    private readonly schedules: ScheduleService,
    private readonly audit: AuditLogRepository,
  ) {}

  @ApiResult(HttpStatus.OK, ['ScheduledJob'], 'Every repeatable job, active and paused, with its next and last run')
  @Get()
  list(): Promise<ScheduledJob[]> {
    return this.schedules.list();
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post('pause')
  @HttpCode(HttpStatus.NO_CONTENT)
  async pause(@CurrentUser() user: AuthenticatedUser, @Body() body: ScheduleActionDto): Promise<void> {
    await notFoundAs404(this.schedules.pause(body.key));
    await this.audit.record({ actorId: user.id, action: 'schedule.pause', target: body.key });
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post('resume')
  @HttpCode(HttpStatus.NO_CONTENT)
  async resume(@CurrentUser() user: AuthenticatedUser, @Body() body: ScheduleActionDto): Promise<void> {
    await notFoundAs404(this.schedules.resume(body.key));
    await this.audit.record({ actorId: user.id, action: 'schedule.resume', target: body.key });
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post('run')
  @HttpCode(HttpStatus.NO_CONTENT)
  async runNow(@CurrentUser() user: AuthenticatedUser, @Body() body: ScheduleActionDto): Promise<void> {
    const jobId = await notFoundAs404(this.schedules.runNow(body.key));
    await this.audit.record({ actorId: user.id, action: 'schedule.run', target: body.key, detail: { jobId } });
  }
}
