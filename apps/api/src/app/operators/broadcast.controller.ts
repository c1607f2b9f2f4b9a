import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import type { Batch, BroadcastResponse } from '@mq/messaging-contracts';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { BroadcastDto } from './broadcast.dto';
import { BroadcastService } from './broadcast.service';

@Controller('messages')
@Roles('admin')
export class BroadcastController {
  constructor(private readonly broadcasts: BroadcastService) {}

  @ApiResult(HttpStatus.ACCEPTED, 'BroadcastResponse')
  @Post('broadcast')
  @HttpCode(HttpStatus.ACCEPTED)
  start(@CurrentUser() user: AuthenticatedUser, @Body() body: BroadcastDto): Promise<BroadcastResponse> {
    return this.broadcasts.start(user, body);
  }

  @ApiResult(HttpStatus.OK, 'Batch')
  @Get('batches/:id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Batch> {
    return this.broadcasts.get(id);
  }

  @ApiResult(HttpStatus.OK, 'Batch')
  @Post('batches/:id/pause')
  @HttpCode(HttpStatus.OK)
  pause(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<Batch> {
    return this.broadcasts.pause(user, id);
  }

  @ApiResult(HttpStatus.OK, 'Batch')
  @Post('batches/:id/resume')
  @HttpCode(HttpStatus.OK)
  resume(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<Batch> {
    return this.broadcasts.resume(user, id);
  }

  @ApiResult(HttpStatus.OK, 'Batch')
  @Post('batches/:id/cancel')
  @HttpCode(HttpStatus.OK)
  cancel(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<Batch> {
    return this.broadcasts.cancel(user, id);
  }
}
