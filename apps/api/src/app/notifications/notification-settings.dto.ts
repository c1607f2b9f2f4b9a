import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import type {
  ListNotificationsQuery,
  NotificationChannelPreferences,
  NotificationPreferences,
  PushSubscriptionRequest,
  QuietHours,
} from '@mq/messaging-contracts';
import { isTimeZone } from '@mq/messaging';

@ValidatorConstraint({ name: 'timeZone' })
class TimeZoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isTimeZone(value);
  }
  defaultMessage(): string {
    return 'timeZone must be an IANA time zone such as Europe/London';
  }
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

class ChannelsDto implements NotificationChannelPreferences {
  @IsBoolean() inApp!: boolean;
  @IsBoolean() email!: boolean;
  @IsBoolean() push!: boolean;
  @IsBoolean() sms!: boolean;
}

class QuietHoursDto implements QuietHours {
  @Matches(TIME, { message: 'start must be a time of day like 22:00' }) start!: string;
  @Matches(TIME, { message: 'end must be a time of day like 07:00' }) end!: string;
  @IsString() @Validate(TimeZoneConstraint) timeZone!: string;
}

export class NotificationPreferencesDto implements NotificationPreferences {
  @IsDefined() @ValidateNested() @Type(() => ChannelsDto) channels!: ChannelsDto;
  @IsOptional() @ValidateNested() @Type(() => QuietHoursDto) quietHours!: QuietHoursDto | null;
}

export class ListNotificationsQueryDto implements ListNotificationsQuery {
  @IsOptional() @Transform(({ value }) => value === true || value === 'true') @IsBoolean() unread?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit = 50;
}

class PushKeysDto {
  @IsString() @MaxLength(256) p256dh!: string;
  @IsString() @MaxLength(256) auth!: string;
}

export class PushSubscriptionDto implements PushSubscriptionRequest {
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true }) @MaxLength(2048) endpoint!: string;
  @IsDefined() @ValidateNested() @Type(() => PushKeysDto) keys!: PushKeysDto;
}
