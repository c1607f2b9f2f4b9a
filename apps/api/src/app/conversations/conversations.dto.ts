import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import type { AddParticipantRequest, CreateConversationRequest } from '@mq/messaging-contracts';
import { MESSAGES_PAGE_DEFAULT, MESSAGES_PAGE_MAX } from '@mq/messaging-contracts';

/** Direct and group conversations; broadcasts are created by the broadcast endpoint only. */
export class CreateConversationDto implements CreateConversationRequest {
  @IsIn(['direct', 'group']) type!: 'direct' | 'group';
  @ArrayMinSize(1) @ArrayMaxSize(1000) @ArrayUnique() @IsUUID('all', { each: true }) participantIds!: string[];
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) title?: string;
}

export class ListMessagesQueryDto {
  // seq is a bigint: past 2^53 a number is not the seq that was written (and past 2^63 Postgres refuses it with a 500).
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) afterSeq: number = 0;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MESSAGES_PAGE_MAX) limit: number = MESSAGES_PAGE_DEFAULT;
}

export class AddParticipantDto implements AddParticipantRequest {
  @IsUUID() userId!: string;
}
