import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { USER_ROLES, type UserRole } from '@mq/messaging-contracts';
import { CursorQueryDto } from '../operators/cursor-query.dto';

const E164 = /^\+[1-9]\d{6,14}$/;

export class CreateUserDto {
  @IsEmail() @MaxLength(320) email!: string;
  @IsString() @MinLength(8) @MaxLength(1024) password!: string;
  @IsString() @MinLength(1) @MaxLength(120) displayName!: string;
  @IsOptional() @IsIn(USER_ROLES) role?: UserRole;
  @IsOptional() @Matches(E164, { message: 'phone must be in E.164 form, e.g. +447700900123' }) phone?: string;
}

export class UpdateUserDto {
  @IsOptional() @IsString() @MinLength(1) @MaxLength(120) displayName?: string;
  @IsOptional() @IsIn(USER_ROLES) role?: UserRole;
  @IsOptional() @Matches(E164, { message: 'phone must be in E.164 form, e.g. +447700900123' }) phone?: string;
  @IsOptional() @IsEmail() @MaxLength(320) email?: string;
  @IsOptional() @IsBoolean() active?: boolean;
}

/** `GET /users`: the users page's filters, newest first, `?limit=&cursor=` as on the other lists. */
export class UserListQueryDto extends CursorQueryDto {
  @ApiPropertyOptional({ description: "Matches anywhere in the email or the display name, case-insensitively, or a user's id exactly" })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  search?: string;
  @ApiPropertyOptional({ enum: USER_ROLES }) @IsOptional() @IsIn(USER_ROLES) role?: UserRole;
  @ApiPropertyOptional({ enum: ['true', 'false'] }) @IsOptional() @IsIn(['true', 'false'], { message: 'active must be true or false' }) active?:
    'true' | 'false';
}
