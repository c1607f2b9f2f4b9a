import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { IsTraceparent } from '@mq/queue-contracts';
import type { MessageReceiptPayload, SyncPayload } from '@mq/messaging-contracts';

/** `message:delivered` / `message:read` */
export class ReceiptDto implements MessageReceiptPayload {
  @IsUUID() messageId!: string;
  /** The `traceparent` of the `message:new` it answers: the receipt joins the message's trace. */
  @IsOptional() @IsTraceparent() traceparent?: string;
}

/** `sync` */
export class SyncDto implements SyncPayload {
  @IsUUID() conversationId!: string;
  // seq is a bigint: past 2^53 a number is not the seq that was written.
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) afterSeq!: number;
}
