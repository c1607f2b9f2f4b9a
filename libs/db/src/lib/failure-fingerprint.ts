import { createHash } from 'node:crypto';

/** What makes two failures "the same cause", and the parts an operator sees for the group. */
export interface FailureSignature {
  /** 16 hex characters of sha256(job name, normalised error, top frame). */
  fingerprint: string;
  /** The error's first line with ids, hashes, timestamps and numbers replaced by placeholders. */
  error: string;
  /** The innermost frame of the last attempt's stack, without directories or positions; null without a stack. */
  topFrame: string | null;
}

/** In order: a uuid, a timestamp or a hash is replaced whole before its digits would be. */
const VOLATILE: readonly (readonly [RegExp, string])[] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b(?:0x)?(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b/gi, '<hex>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
];

/** The head of an error is what identifies it. */
const MAX_ERROR_CHARS = 240;

export function normaliseError(reason: string): string {
  const firstLine = reason.trimStart().split('\n', 1)[0] ?? '';
  const text = VOLATILE.reduce((line, [pattern, placeholder]) => line.replace(pattern, placeholder), firstLine);
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_CHARS);
}

/**
 * `at Foo.bar (/srv/app/dist/apps/worker/main.js:120:31)` -> `Foo.bar (main.js)`: the same code
 * fails at the same frame whatever the build path or bundle offsets of the machine it ran on.
 */
export function topFrame(stacktrace: string | null | undefined): string | null {
  if (!stacktrace) return null;
  // Bull keeps one trace per attempt, joined by a blank line by the recorder: the last is the latest.
  const attempts = stacktrace.split(/\n\s*\n/).filter((part) => part.trim() !== '');
  const latest = attempts[attempts.length - 1] ?? '';
  const frame = latest.split('\n').find((line) => /^\s*at\s/.test(line));
  if (!frame) return null;
  return frame
    .trim()
    .replace(/^at\s+/, '')
    .replace(/(?:file:\/\/)?(?:[^\s()]*[/\\])?([^/\\\s():]+)(?::\d+)+/g, '$1')
    .replace(/\d+/g, '<n>');
}

export function failureSignature(jobName: string, reason: string, stacktrace: string | null | undefined): FailureSignature {
  const error = normaliseError(reason);
  const frame = topFrame(stacktrace);
  const fingerprint = createHash('sha256')
    .update(`${jobName}\n${error}\n${frame ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return { fingerprint, error, topFrame: frame };
}
