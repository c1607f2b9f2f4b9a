import { Transform, plainToInstance } from 'class-transformer';
import { IsDefined, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';

/** Mailgun's signature block: hex HMAC-SHA256 of timestamp + token with the webhook signing key. */
class MailgunSignatureDto {
  @IsString() @MaxLength(20) timestamp!: string;
  @IsString() @MaxLength(200) token!: string;
  @IsString() @MaxLength(128) signature!: string;
}

/**
 * `POST /providers/mailgun/events`: Mailgun's webhook body. Only the signature is validated
 * field by field; event-data is Mailgun's own (dozens of fields that change over time) and is
 * read defensively after the signature proves Mailgun sent it.
 */
export class MailgunEventDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? plainToInstance(MailgunSignatureDto, value) : value,
  )
  signature!: MailgunSignatureDto;

  @IsDefined() @IsObject() 'event-data'!: Record<string, unknown>;
}
