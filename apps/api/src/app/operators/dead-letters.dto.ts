import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import type { DeadLetterListQuery } from '@mq/messaging-contracts';
import { CursorQueryDto } from './cursor-query.dto';

/** A fingerprint as the dead-letter repository makes it (failure-fingerprint.ts in libs/db). */
export const FINGERPRINT = /^[0-9a-f]{16}$/;
export const FINGERPRINT_MESSAGE = 'fingerprint must be 16 lowercase hex characters, as GET /dead-letters/groups gives it';

export class DeadLetterListQueryDto extends CursorQueryDto implements DeadLetterListQuery {
  @ApiPropertyOptional() @IsOptional() @Matches(FINGERPRINT, { message: FINGERPRINT_MESSAGE }) fingerprint?: string;
}

export class DeadLetterGroupsQueryDto {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 100;
}
