import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { BadInputException } from './bad-input.exception';
import { describeValidationErrors } from './validation-errors.helper';

const SOURCES: Partial<Record<ArgumentMetadata['type'], string>> = { body: 'body', query: 'query', param: 'path' };

/**
 * The DTO rules for REST input (unknown fields a 400, so nothing can be mass-assigned), with
 * errors in the api's error shape: the first field at fault named by its source, `body.title`
 * or `query.limit`, as the input hygiene guard names them.
 */
@Injectable()
export class EdgeValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const described = describeValidationErrors(errors);
        return new BadInputException(described.map((e) => e.message).join('; '), 'validation_failed', described[0]?.field);
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      const source = SOURCES[metadata.type];
      if (!(error instanceof BadInputException) || !source) throw error;
      throw error.at(source);
    }
  }
}
