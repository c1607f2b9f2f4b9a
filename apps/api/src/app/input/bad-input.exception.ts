import { BadRequestException } from '@nestjs/common';

/** A 400 in the api's one error shape, naming the field at fault and a machine-readable code. */
export class BadInputException extends BadRequestException {
  constructor(
    message: string,
    readonly code: string,
    readonly field?: string,
  ) {
    super({ statusCode: 400, message, error: 'Bad Request', code, ...(field ? { field } : {}) });
  }

  /** The same error with its field named from where it came: `title` in a body is `body.title`. */
  at(source: string): BadInputException {
    return new BadInputException(this.message, this.code, this.field ? `${source}.${this.field}` : source);
  }
}
