import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { ROW_ID, decodeCursor } from './cursor.query';

@ValidatorConstraint({ name: 'uuidCursor' })
class UuidCursorConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && ROW_ID.test(decodeCursor(value)?.id ?? '');
  }
  defaultMessage(): string {
    return 'cursor must be the x-next-cursor of an earlier page of this list';
  }
}

/**
 * `?limit=&cursor=` of the operator lists that page by a row's uuid (audit, dead letters):
 * another cursor would reach Postgres as a uuid it cannot cast (a 500), so it is refused here.
 */
export class CursorQueryDto {
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  @IsOptional() @IsString() @MaxLength(256) @Validate(UuidCursorConstraint) cursor?: string;
}
