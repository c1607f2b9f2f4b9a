import { Module } from '@nestjs/common';
import { NotificationSettingsController } from './notification-settings.controller';

@Module({ controllers: [NotificationSettingsController] })
export class NotificationsModule {}
