import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { QUEUE } from '@mq/queue-contracts';
import { IsTimestamp } from '../input/timestamp.validator';

export class FailedDeliveriesQueryDto {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  @IsOptional() @IsString() cursor?: string;
  /** Deliveries move on the delivery queue (direct sends) or the batch queue (fan-outs). */
  @IsOptional() @IsIn([QUEUE.DELIVERY, QUEUE.BATCH]) queue?: typeof QUEUE.DELIVERY | typeof QUEUE.BATCH;
  /** Case-insensitive substring of the failure reason. */
  @IsOptional() @IsString() @MaxLength(200) reason?: string;
  @IsOptional() @IsTimestamp() from?: string;
  @IsOptional() @IsTimestamp() to?: string;
  /** Only this broadcast's (or large group fan-out's) deliveries. */
  @IsOptional() @IsUUID('all') batchId?: string;
}

export class RetryDeliveriesDto {
  @ArrayMinSize(1) @ArrayMaxSize(1000) @ArrayUnique() @IsUUID('all', { each: true }) messageIds!: string[];
}
