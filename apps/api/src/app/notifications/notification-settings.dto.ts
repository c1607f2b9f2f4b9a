import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type, plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsDefined,
  IsInt,
  IsObject,
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
  FallbackChannel,
  ListNotificationsQuery,
  NotificationChannelPreferences,
  NotificationPreferences,
  PushSubscriptionRequest,
  NotificationChannel,
  QuietHours,
} from '@mq/messaging-contracts';
import { FALLBACK_CHANNELS, NOTIFICATION_CHANNELS, TIME_OF_DAY, isTimeZone } from '@mq/messaging-contracts';

@ValidatorConstraint({ name: 'timeZone' })
class TimeZoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isTimeZone(value);
  }
  defaultMessage(): string {
    return 'timeZone must be an IANA time zone such as Europe/London';
  }
}

/**
 * A nested DTO made from a plain object only; anything else stays as sent, for @IsObject to
 * refuse. Not `@Type`: given an array, class-transformer instantiates the property's class as
 * the array to fill, and ChannelsDto, having a `push` field, passes its "is an array type" test,
 * so `{"channels": []}` threw (a 500) before any validator ran.
 */
const NestedFromObject = <T>(type: new () => T) =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? plainToInstance(type, value) : value));

class ChannelsDto implements NotificationChannelPreferences {
  @IsBoolean() inApp!: boolean;
  @IsBoolean() email!: boolean;
  @IsBoolean() push!: boolean;
  @IsBoolean() sms!: boolean;
}

class QuietHoursDto implements QuietHours {
  @Matches(TIME_OF_DAY, { message: 'start must be a time of day like 22:00' }) start!: string;
  @Matches(TIME_OF_DAY, { message: 'end must be a time of day like 07:00' }) end!: string;
  @IsString() @Validate(TimeZoneConstraint) timeZone!: string;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_CHANNELS.length)
  @ArrayUnique()
  @IsIn(NOTIFICATION_CHANNELS, { each: true, message: `channels must hold only ${NOTIFICATION_CHANNELS.join(', ')}` })
  channels?: NotificationChannel[];
}

export class NotificationPreferencesDto implements NotificationPreferences {
  @IsDefined() @IsObject() @ValidateNested() @NestedFromObject(ChannelsDto) channels!: ChannelsDto;
  @IsOptional() @IsObject() @ValidateNested() @NestedFromObject(QuietHoursDto) quietHours!: QuietHoursDto | null;
  /** Left out: the saved order stays. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(FALLBACK_CHANNELS.length)
  @ArrayUnique({ message: 'channelOrder must name each channel at most once' })
  @IsIn(FALLBACK_CHANNELS, { each: true, message: `channelOrder may hold only ${FALLBACK_CHANNELS.join(', ')}` })
  channelOrder?: FallbackChannel[];
}

export class ListNotificationsQueryDto implements ListNotificationsQuery {
  @IsOptional() @Transform(({ value }) => value === true || value === 'true') @IsBoolean() unread?: boolean;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit: number = 50;
}

class PushKeysDto {
  @IsString() @MaxLength(256) p256dh!: string;
  @IsString() @MaxLength(256) auth!: string;
}

export class PushSubscriptionDto implements PushSubscriptionRequest {
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true }) @MaxLength(2048) endpoint!: string;
  @IsDefined() @IsObject() @ValidateNested() @NestedFromObject(PushKeysDto) keys!: PushKeysDto;
}
