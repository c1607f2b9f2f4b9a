import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import type { EditMessageRequest, MessagePriority, SearchMessagesQuery, SendMessageRequest } from '@mq/messaging-contracts';
import { MESSAGE_CONTENT_MAX_LENGTH, MESSAGE_PRIORITIES } from '@mq/messaging-contracts';

export class SendMessageDto implements SendMessageRequest {
  @IsUUID() conversationId!: string;
  @IsString() @Length(1, MESSAGE_CONTENT_MAX_LENGTH) content!: string;
  @IsOptional()
  @IsString()
  @Matches(/^[\w.:-]{1,128}$/, { message: 'clientMessageId must be 1-128 letters, digits, _ . : or -' })
  clientMessageId?: string;
  @IsOptional() @IsIn(MESSAGE_PRIORITIES) priority?: MessagePriority;
  @IsOptional() @IsISO8601({ strict: true }) sendAt?: string;
  @IsOptional() @IsBoolean() critical?: boolean;
}

export class EditMessageDto implements EditMessageRequest {
  @IsString() @Length(1, MESSAGE_CONTENT_MAX_LENGTH) content!: string;
}

export class SearchMessagesQueryDto implements SearchMessagesQuery {
  @IsString() @Length(1, 200) q!: string;
  @IsOptional() @IsUUID() conversationId?: string;
}
