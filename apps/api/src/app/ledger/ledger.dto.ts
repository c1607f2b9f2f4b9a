import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';

/** Whose accesses: to a subject's messages, by an actor, or both. */
export class LedgerFilterDto {
  /** The user whose messages were read. */
  @IsOptional() @IsUUID('all') subjectId?: string;
  /** The user who read them. */
  @IsOptional() @IsUUID('all') actorId?: string;
}

/** `GET /ledger/accesses`: the filters and a page. */
export class LedgerAccessesQueryDto extends LedgerFilterDto {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  /** The previous page's nextCursor (a row's seq). */
  @IsOptional() @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor must be the nextCursor of an earlier page of this list' }) cursor?: string;
}
