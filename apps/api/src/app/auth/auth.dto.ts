import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import type { LoginRequest } from '@mq/messaging-contracts';

/** `POST /auth/login` */
export class LoginDto implements LoginRequest {
  @IsEmail() @MaxLength(320) email!: string;
  @IsString() @MinLength(1) @MaxLength(1024) password!: string;
}
