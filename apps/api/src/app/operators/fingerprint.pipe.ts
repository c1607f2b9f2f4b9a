import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { FINGERPRINT, FINGERPRINT_MESSAGE } from './dead-letters.dto';

/** A `:fingerprint` route parameter: anything else is a 400, never a lookup. */
@Injectable()
export class FingerprintPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!FINGERPRINT.test(value)) throw new BadRequestException(FINGERPRINT_MESSAGE);
    return value;
  }
}
