import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsTimestamp } from '../input/timestamp.validator';
import { CursorQueryDto } from './cursor-query.dto';

/** The audit log's filters, shared by the page and the export. */
export class AuditFilterDto {
  /** The user who acted. */
  @IsOptional() @IsUUID('all') actorId?: string;
  /** An action (`queue.pause`), or a family of them ending with a dot (`queue.`). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9._-]+$/, { message: 'action must be an action name like queue.pause, or a family like queue.' })
  action?: string;
  /** What was acted on, exactly: a queue, a job id, a user id. */
  @IsOptional() @IsString() @MaxLength(300) target?: string;
  /** Entries at or after this time. */
  @IsOptional() @IsTimestamp() from?: string;
  /** Entries before this time. */
  @IsOptional() @IsTimestamp() to?: string;
}

/** `GET /audit`: the filters and a page of them. */
export class AuditQueryDto extends IntersectionType(CursorQueryDto, AuditFilterDto) {}

export const AUDIT_EXPORT_FORMATS = ['csv', 'json'] as const;

export class AuditExportQueryDto extends AuditFilterDto {
  @ApiPropertyOptional({ enum: AUDIT_EXPORT_FORMATS, default: 'csv' }) @IsOptional() @IsIn(AUDIT_EXPORT_FORMATS) format: (typeof AUDIT_EXPORT_FORMATS)[number] =
    'csv';
}
