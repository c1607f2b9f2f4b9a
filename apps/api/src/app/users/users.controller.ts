import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Param, ParseUUIDPipe, Patch, Post, HttpStatus } from '@nestjs/common';
import { Roles } from '../auth/auth.decorators';
import { CreateUserDto, UpdateUserDto } from './users.dto';
import type { User } from '@mq/messaging-contracts';
import { UsersService } from './users.service';

@Controller('users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiResult(HttpStatus.CREATED, 'User')
  @Post()
  create(@Body() body: CreateUserDto): Promise<User> {
    return this.users.create(body);
  }

  @ApiResult(HttpStatus.OK, 'User')
  @Patch(':id')
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserDto): Promise<User> {
    return this.users.update(id, body);
  }
}
