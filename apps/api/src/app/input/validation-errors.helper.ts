import type { ValidationError } from 'class-validator';

/** class-validator's errors as `path: what is wrong` lines, nested fields by their full path. */
export function describeValidationErrors(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.startsWith(error.property) ? field + message.slice(error.property.length) : `${field}: ${message}`,
    }));
    return [...own, ...describeValidationErrors(error.children ?? [], field)];
  });
}
