import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { CleanQueueRequest, DryRunRequest, JobState, ListQueueJobsQuery } from '@mq/messaging-contracts';
import { NumberFromText } from '../input/number-from-text.transform';

export class DryRunDto implements DryRunRequest {
  @IsOptional() @IsBoolean() dryRun?: boolean;
}

export class CleanQueueDto extends DryRunDto implements CleanQueueRequest {
  @IsIn(['completed', 'failed']) state!: 'completed' | 'failed';
  @NumberFromText() @IsInt() @Min(0) @Max(365 * 24 * 3600 * 1000) olderThanMs!: number;
}

const LISTABLE: JobState[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

export class ListJobsQueryDto implements ListQueueJobsQuery {
  @IsIn(LISTABLE) state!: JobState;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) start: number = 0;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) end: number = 49;
}
