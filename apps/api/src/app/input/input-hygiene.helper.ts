/**
 * What no field of any request may hold, whatever its DTO says: the one check every REST body,
 * query, path parameter and socket event passes through (see InputHygieneGuard and
 * parseSocketInput). A DTO says what a field is; this says what no field can be.
 */

/** Keys that reach an object's prototype machinery when assigned: refused at any depth. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Deeper than any body of the contract (preferences are three levels): a parser bomb, not data. */
export const MAX_INPUT_DEPTH = 16;
/** Longer than any field of the contract (content is 10,000 characters); DTOs set tighter limits. */
export const MAX_STRING_LENGTH = 65_536;

// A high surrogate not followed by a low one, or a low one not preceded by a high one: UTF-8
// cannot encode it, so Postgres and every client would store U+FFFD instead of what was written.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type InputProblemCode = 'forbidden_key' | 'nul_character' | 'lone_surrogate' | 'string_too_long' | 'too_deep';

export interface InputProblem {
  code: InputProblemCode;
  /** Where: `body.participants.0.title`, `query.q`, `path.id`. */
  field: string;
  message: string;
}

function stringProblem(text: string, field: string): InputProblem | undefined {
  if (text.includes('\u0000')) return { code: 'nul_character', field, message: `${field} must not contain a NUL character` };
  if (LONE_SURROGATE.test(text)) return { code: 'lone_surrogate', field, message: `${field} contains a lone UTF-16 surrogate (not valid Unicode text)` };
  if (text.length > MAX_STRING_LENGTH) return { code: 'string_too_long', field, message: `${field} is longer than ${MAX_STRING_LENGTH} characters` };
  return undefined;
}

/** The first thing in `value` that no field may hold, or undefined. Walks own enumerable keys only. */
export function findInputProblem(value: unknown, field: string, depth = 0): InputProblem | undefined {
  if (typeof value === 'string') return stringProblem(value, field);
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_INPUT_DEPTH) return { code: 'too_deep', field, message: `${field} is nested deeper than ${MAX_INPUT_DEPTH} levels` };
  for (const key of Object.keys(value)) {
    const path = `${field}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) return { code: 'forbidden_key', field: path, message: `${path}: the key "${key}" is not allowed` };
    const problem = stringProblem(key, path) ?? findInputProblem((value as Record<string, unknown>)[key], path, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}
