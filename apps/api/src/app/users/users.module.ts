import { Module } from '@nestjs/common';
import { PasswordHasher } from './password.hasher';
import { SessionStateCache } from './session-state.cache';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController],
  providers: [UsersService, PasswordHasher, SessionStateCache],
  exports: [UsersService, PasswordHasher, SessionStateCache],
})
export class UsersModule {}
