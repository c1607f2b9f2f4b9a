import { ApiResult } from '../openapi/api-result.decorator';
import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import type { Conversation, ConversationSummary } from '@mq/messaging-contracts';
import { CurrentUser } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { AccessOriginOf } from '../ledger/access-origin.decorator';
import { AccessOrigin } from '../ledger/access-ledger.service';
import { AddParticipantDto, CreateConversationDto } from './conversations.dto';
import { ConversationsService } from './conversations.service';

interface StatusSettable {
  status(code: number): unknown;
}

@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  /** 201 for a new conversation; 200 with the existing one for a direct pair that already talks. */
  @ApiResult(HttpStatus.CREATED, 'Conversation')
  @ApiResult(HttpStatus.OK, 'Conversation', 'The direct conversation of this pair already exists')
  @Post()
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateConversationDto,
    @Res({ passthrough: true }) res: StatusSettable,
  ): Promise<Conversation> {
    const { conversation, created } = await this.conversations.create(user, body);
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return conversation;
  }

  @ApiResult(HttpStatus.OK, ['ConversationSummary'])
  @Get()
  list(@CurrentUser() user: AuthenticatedUser, @AccessOriginOf() origin: AccessOrigin): Promise<ConversationSummary[]> {
    return this.conversations.list(user.id, origin);
  }

  @ApiResult(HttpStatus.CREATED)
  @Post(':id/participants')
  @HttpCode(HttpStatus.CREATED)
  async addParticipant(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string, @Body() body: AddParticipantDto): Promise<void> {
    await this.conversations.addParticipant(user, id, body.userId);
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Delete(':id/participants/:userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  async removeParticipant(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('userId', ParseUUIDPipe) userId: string,
  ): Promise<void> {
    await this.conversations.removeParticipant(user, id, userId);
  }
}
