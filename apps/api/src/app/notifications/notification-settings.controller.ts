import { ApiResult } from '../openapi/api-result.decorator';
import { Body, ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { NotificationRepository, NotificationSettingsRepository } from '@mq/db';
import type { AppNotification, NotificationPreferences, QuietHours } from '@mq/messaging-contracts';
import { DEFAULT_PREFERENCES } from '@mq/messaging-contracts';
import { CurrentUser } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { ListNotificationsQueryDto, NotificationPreferencesDto, PushSubscriptionDto } from './notification-settings.dto';

/** The signed-in user's own notification settings, notifications and push subscriptions. */
@Controller('me')
export class NotificationSettingsController {
  constructor(
    private readonly settings: NotificationSettingsRepository,
    private readonly notifications: NotificationRepository,
  ) {}

  @ApiResult(HttpStatus.OK, 'NotificationPreferences')
  @Get('notification-preferences')
  async getPreferences(@CurrentUser() user: AuthenticatedUser): Promise<NotificationPreferences> {
    return (await this.settings.preferences(user.id)) ?? DEFAULT_PREFERENCES;
  }

  @ApiResult(HttpStatus.OK, 'NotificationPreferences')
  @Put('notification-preferences')
  async putPreferences(@CurrentUser() user: AuthenticatedUser, @Body() body: NotificationPreferencesDto): Promise<NotificationPreferences> {
    const value: NotificationPreferences = {
      channels: { inApp: body.channels.inApp, email: body.channels.email, push: body.channels.push, sms: body.channels.sms },
      quietHours: body.quietHours ? quietHoursOf(body.quietHours) : null,
      channelOrder: body.channelOrder ? [...body.channelOrder] : undefined,
    };
    return this.settings.savePreferences(user.id, value);
  }

  @ApiResult(HttpStatus.OK, ['AppNotification'])
  @Get('notifications')
  async list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListNotificationsQueryDto): Promise<AppNotification[]> {
    return this.notifications.listForUser(user.id, { unreadOnly: query.unread ?? false, limit: query.limit });
  }

  @ApiResult(HttpStatus.NO_CONTENT)
  @Post('notifications/:id/read')
  @HttpCode(HttpStatus.NO_CONTENT)
  async markRead(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    if (!(await this.notifications.markRead(id, user.id))) throw new NotFoundException(`Notification ${id} not found`);
  }

  /**
   * Registers a browser's push subscription; an endpoint belongs to one user (a device that
   * changed hands moves to its new user, and new keys replace old ones). The same subscription
   * again is a conflict, like every other add.
   */
  @ApiResult(HttpStatus.CREATED)
  @Post('push-subscriptions')
  @HttpCode(HttpStatus.CREATED)
  async subscribe(@CurrentUser() user: AuthenticatedUser, @Body() body: PushSubscriptionDto): Promise<void> {
    const stored = await this.settings.addPushSubscription(user.id, { endpoint: body.endpoint, keys: { p256dh: body.keys.p256dh, auth: body.keys.auth } });
    if (!stored) throw new ConflictException('This push subscription is already registered');
  }
}

/** Only the fields of the contract; `channels` only when chosen (absent: the default channels). */
function quietHoursOf(body: QuietHours): QuietHours {
  const { start, end, timeZone, channels } = body;
  return channels === undefined || channels === null ? { start, end, timeZone } : { start, end, timeZone, channels: [...channels] };
}
