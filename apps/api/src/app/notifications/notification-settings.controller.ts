import { Body, ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { NotificationEntity, NotificationPreferenceEntity } from '@mq/db';
import type { AppNotification, NotificationPreferences } from '@mq/messaging-contracts';
import { DEFAULT_PREFERENCES } from '@mq/messaging';
import { CurrentUser } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';
import { ListNotificationsQueryDto, NotificationPreferencesDto, PushSubscriptionDto } from './notification-settings.dto';

/** The signed-in user's own notification settings, notifications and push subscriptions. */
@Controller('me')
export class NotificationSettingsController {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(NotificationPreferenceEntity) private readonly preferences: Repository<NotificationPreferenceEntity>,
    @InjectRepository(NotificationEntity) private readonly notifications: Repository<NotificationEntity>,
  ) {}

  @Get('notification-preferences')
  async getPreferences(@CurrentUser() user: AuthenticatedUser): Promise<NotificationPreferences> {
    const row = await this.preferences.findOne({ where: { userId: user.id } });
    return row ? { channels: row.channels, quietHours: row.quietHours } : DEFAULT_PREFERENCES;
  }

  @Put('notification-preferences')
  async putPreferences(@CurrentUser() user: AuthenticatedUser, @Body() body: NotificationPreferencesDto): Promise<NotificationPreferences> {
    const value: NotificationPreferences = {
      channels: { inApp: body.channels.inApp, email: body.channels.email, push: body.channels.push, sms: body.channels.sms },
      quietHours: body.quietHours ? { start: body.quietHours.start, end: body.quietHours.end, timeZone: body.quietHours.timeZone } : null,
    };
    await this.preferences.upsert({ userId: user.id, channels: value.channels, quietHours: value.quietHours }, ['userId']);
    return value;
  }

  @Get('notifications')
  async list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListNotificationsQueryDto): Promise<AppNotification[]> {
    const rows = await this.notifications.find({
      where: { userId: user.id, ...(query.unread ? { readAt: IsNull() } : {}) },
      order: { createdAt: 'DESC' },
      take: query.limit,
    });
    return rows.map((n) => ({
      id: n.id,
      channel: n.channel,
      status: n.status,
      title: n.title,
      body: n.body,
      messageId: n.messageId,
      createdAt: n.createdAt.toISOString(),
      readAt: n.readAt?.toISOString() ?? null,
    }));
  }

  @Post('notifications/:id/read')
  @HttpCode(HttpStatus.NO_CONTENT)
  async markRead(@CurrentUser() user: AuthenticatedUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    const [, changed] = (await this.dataSource.query(
      `UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1 AND user_id = $2`,
      [id, user.id],
    )) as [unknown, number];
    if (changed === 0) throw new NotFoundException(`Notification ${id} not found`);
  }

  /**
   * Registers a browser's push subscription; an endpoint belongs to one user (a device that
   * changed hands moves to its new user, and new keys replace old ones). The same subscription
   * again is a conflict, like every other add.
   */
  @Post('push-subscriptions')
  @HttpCode(HttpStatus.CREATED)
  async subscribe(@CurrentUser() user: AuthenticatedUser, @Body() body: PushSubscriptionDto): Promise<void> {
    // An INSERT answers its RETURNING rows: none when the very same subscription is already there.
    const stored = (await this.dataSource.query(
      `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth) VALUES ($1, $2, $3, $4)
       ON CONFLICT (endpoint) DO UPDATE SET user_id = EXCLUDED.user_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
       WHERE (push_subscriptions.user_id, push_subscriptions.p256dh, push_subscriptions.auth) IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.p256dh, EXCLUDED.auth)
       RETURNING endpoint`,
      [user.id, body.endpoint, body.keys.p256dh, body.keys.auth],
    )) as unknown[];
    if (stored.length === 0) throw new ConflictException('This push subscription is already registered');
  }
}
