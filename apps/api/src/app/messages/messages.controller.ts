import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import type { ConversationExport, Delivery, Message, MessagesPage, SearchResults, SendMessageResponse } from '@mq/messaging-contracts';
import { CurrentUser } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { ListMessagesQueryDto } from '../conversations/conversations.dto';
import { AccessOriginOf } from '../ledger/access-origin.decorator';
import { AccessOrigin } from '../ledger/access-ledger.service';
import { MessageSendService } from './message-send.service';
import { EditMessageDto, SearchMessagesQueryDto, SendMessageDto } from './messages.dto';
import { MessagesService } from './messages.service';
import { ReceiptsService } from './receipts.service';

interface StatusSettable {
  status(code: number): unknown;
}

@Controller('messages')
export class MessagesController {
  constructor(
    private readonly sender: MessageSendService,
    private readonly messages: MessagesService,
    private readonly receipts: ReceiptsService,
  ) {}

  /** 202: accepted for delivery; 200 when the clientMessageId repeats an earlier send. */
  @ApiResult(HttpStatus.ACCEPTED, 'SendMessageResponse', 'Accepted for delivery')
  @ApiResult(HttpStatus.OK, 'SendMessageResponse', 'The clientMessageId repeats an earlier send: that message')
  @ApiResult(HttpStatus.FORBIDDEN, undefined, '`critical: true` from a sender whose role is not in CRITICAL_SENDER_ROLES; nothing is written')
  @HttpCode(HttpStatus.ACCEPTED)
  @Post()
  async send(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: SendMessageDto,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<SendMessageResponse> {
    const outcome = await this.sender.send(user.id, body, user.role);
    res.status(outcome.created ? HttpStatus.ACCEPTED : HttpStatus.OK);
    return { message: outcome.message, jobId: outcome.jobId };
  }

  @ApiResult(HttpStatus.OK, 'SearchResults')
  @Get('search')
  search(@CurrentUser() user: AuthenticatedUser, @Query() query: SearchMessagesQueryDto): Promise<SearchResults> {
    return this.messages.searchMessages(user.id, query.q, query.conversationId);
  }

  @ApiResult(HttpStatus.OK, 'Message')
  @Patch(':id')
  edit(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: EditMessageDto,
    @AccessOriginOf() origin: AccessOrigin,
  ): Promise<Message> {
    return this.messages.edit(user, id, body.content, origin);
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async delete(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.messages.delete(user, id);
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post(':id/delivered')
  @HttpCode(HttpStatus.NO_CONTENT)
  async delivered(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.receipts.record(user.id, id, 'delivered');
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post(':id/read')
  @HttpCode(HttpStatus.NO_CONTENT)
  async read(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.receipts.record(user.id, id, 'read');
  }

  @ApiResult(HttpStatus.OK, ['Delivery'])
  @Get(':id/deliveries')
  deliveries(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<Delivery[]> {
    return this.messages.deliveriesOf(user, id);
  }
}

/** Catch-up lives with messages (it records receipts) under the conversation's path. */
@Controller('conversations')
export class ConversationMessagesController {
  constructor(private readonly messages: MessagesService) {}

  @ApiResult(HttpStatus.OK, 'MessagesPage')
  @Get(':id/messages')
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ListMessagesQueryDto,
    @AccessOriginOf() origin: AccessOrigin,
  ): Promise<MessagesPage> {
    return { messages: await this.messages.listAfter(user.id, id, query.afterSeq, query.limit, 'history', origin) };
  }

  /** The conversation's messages as one JSON document (members; an admin too), recorded in the access ledger. */
  @ApiResult(HttpStatus.OK, 'ConversationExport')
  @Get(':id/export')
  export(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string, @AccessOriginOf() origin: AccessOrigin): Promise<ConversationExport> {
    return this.messages.exportConversation(user, id, origin);
  }
}
