import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Batch, BatchDetail, BatchSummary, BroadcastResponse } from '@mq/messaging-contracts';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { BatchListQueryDto, BroadcastDto } from './broadcast.dto';
import { BroadcastService } from './broadcast.service';
import { decodeCursor, encodeCursor } from './cursor.query';

interface HeaderSettable {
  setHeader(name: string, value: string): unknown;
}

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

  /** Newest first; the next page's cursor is in the `x-next-cursor` header. */
  @ApiResult(
    HttpStatus.OK,
    ['BatchSummary'],
    "Broadcasts newest first, with progress and who started them; the x-next-cursor header holds the next page's cursor",
  )
  @Get('batches')
  async list(@Query() query: BatchListQueryDto, @Res({ passthrough: true }) res: HeaderSettable): Promise<BatchSummary[]> {
    const page = await this.broadcasts.list({ status: query.status, after: decodeCursor(query.cursor), limit: query.limit });
    if (page.next) res.setHeader('x-next-cursor', encodeCursor(page.next));
    return page.items;
  }

  @ApiResult(HttpStatus.OK, 'Batch')
  @Get('batches/:id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Batch> {
    return this.broadcasts.get(id);
  }

  /** The broadcast's page: who started it and when, its pace, and its deliveries by status. */
  @ApiResult(HttpStatus.OK, 'BatchDetail')
  @Get('batches/:id/detail')
  detail(@Param('id', ParseUUIDPipe) id: string): Promise<BatchDetail> {
    return this.broadcasts.detail(id);
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
