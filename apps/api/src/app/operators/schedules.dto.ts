import { IsString, MaxLength, MinLength } from 'class-validator';
import type { ScheduleActionRequest } from '@mq/messaging-contracts';

/** A schedule's key as `GET /schedules` gave it (it holds colons and spaces, so it travels in the body). */
export class ScheduleActionDto implements ScheduleActionRequest {
  @IsString() @MinLength(1) @MaxLength(500) key!: string;
}
