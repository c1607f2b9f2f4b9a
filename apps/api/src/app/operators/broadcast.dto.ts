import { ArrayMaxSize, ArrayMinSize, ArrayUnique, Equals, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import type { BroadcastRequest } from '@mq/messaging-contracts';
import { BATCH_STATUSES, MESSAGE_CONTENT_MAX_LENGTH, type BatchStatus } from '@mq/messaging-contracts';
import { NumberFromText } from '../input/number-from-text.transform';
import { CursorQueryDto } from './cursor-query.dto';

export const MAX_BROADCAST_RECIPIENTS = 200_000;

export class BroadcastDto implements BroadcastRequest {
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BROADCAST_RECIPIENTS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  recipientIds?: string[];
  @IsOptional() @Equals(true, { message: 'allUsers must be true when given' }) allUsers?: true;
  @IsString() @Length(1, MESSAGE_CONTENT_MAX_LENGTH) content!: string;
  @IsOptional() @NumberFromText() @IsInt() @Min(1) @Max(5000) chunkSize?: number;
  @IsOptional() @NumberFromText() @IsInt() @Min(0) @Max(60_000) chunkDelay?: number;
}

/** `GET /messages/batches`: broadcasts newest first, optionally of one status. */
export class BatchListQueryDto extends CursorQueryDto {
  @IsOptional() @IsIn(BATCH_STATUSES) status?: BatchStatus;
}
