import { validateSync } from 'class-validator';
import { BadInputException } from './bad-input.exception';
import { findInputProblem } from './input-hygiene.helper';
import { describeValidationErrors } from './validation-errors.helper';

/**
 * A socket event's payload as a checked DTO, by the rules REST applies at its edge: nothing no
 * field may hold, unknown fields refused, the DTO's own rules. Flat DTOs only: no transformation.
 */
export function parseSocketInput<T extends object>(type: new () => T, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadInputException('The payload must be an object', 'invalid_body', 'body');
  const problem = findInputProblem(body, 'body');
  if (problem) throw new BadInputException(problem.message, problem.code, problem.field);
  const value = new type();
  // Own properties, defined (not assigned): no key can reach the DTO's prototype.
  for (const [key, field] of Object.entries(body)) Object.defineProperty(value, key, { value: field, enumerable: true, writable: true, configurable: true });
  const errors = describeValidationErrors(validateSync(value, { whitelist: true, forbidNonWhitelisted: true }));
  if (errors.length > 0) throw new BadInputException(errors.map((e) => e.message).join('; '), 'validation_failed', errors[0]?.field).at('body');
  return value;
}
