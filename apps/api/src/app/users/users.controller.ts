import { Body, Controller, Get, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import type { PasswordResetResponse, User } from '@mq/messaging-contracts';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { ApiResult } from '../openapi/api-result.decorator';
import { decodeCursor, encodeCursor } from '../operators/cursor.query';
import { CreateUserDto, UpdateUserDto, UserListQueryDto } from './users.dto';
import { UsersService } from './users.service';

interface HeaderSettable {
  setHeader(name: string, value: string): unknown;
}

@Controller('users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Newest first; the next page's cursor is in the `x-next-cursor` header, as on the audit list. */
  @ApiResult(HttpStatus.OK, ['User'], "Newest first, filtered; the x-next-cursor header holds the next page's cursor")
  @Get()
  async list(@Query() query: UserListQueryDto, @Res({ passthrough: true }) res: HeaderSettable): Promise<User[]> {
    const active = query.active === undefined ? undefined : query.active === 'true';
    const page = await this.users.list({ search: query.search, role: query.role, active, after: decodeCursor(query.cursor), limit: query.limit });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items;
  }

  @ApiResult(HttpStatus.CREATED, 'User')
  @Post()
  create(@CurrentUser() actor: AuthenticatedUser, @Body() body: CreateUserDto): Promise<User> {
    return this.users.create(body, actor.id);
  }

  @ApiResult(HttpStatus.OK, 'User')
  @Patch(':id')
  update(@CurrentUser() actor: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserDto): Promise<User> {
    return this.users.update(id, body, actor.id);
  }

  @ApiResult(HttpStatus.CREATED, 'PasswordResetResponse', 'A new random password, shown this once; every session of the user ends')
  @Post(':id/password-reset')
  resetPassword(@CurrentUser() actor: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<PasswordResetResponse> {
    return this.users.resetPassword(id, actor.id);
  }
}
