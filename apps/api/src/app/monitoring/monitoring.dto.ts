import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { AlertState, ListAlertsQuery, MetricsHistoryQuery } from '@mq/messaging-contracts';
import { ALERT_STATES } from '@mq/messaging-contracts';

/** Samples are kept 7 days: the history reaches back that far at most. */
export const MAX_HISTORY_MINUTES = 7 * 24 * 60;

export class MetricsHistoryQueryDto implements MetricsHistoryQuery {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_HISTORY_MINUTES) minutes: number = 60;
}

export class ListAlertsQueryDto implements ListAlertsQuery {
  @IsOptional() @IsIn(ALERT_STATES) state?: AlertState;
}
