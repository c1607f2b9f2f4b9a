import { createHmac } from 'node:crypto';

/** Longest message yields at most this many distinct terms (the rest would not help search). */
const MAX_TERMS = 1_000;
const TERM_BYTES = 16;

/**
 * Normalised whole words: case-folded, accents removed (so "Élève" finds "eleve"), split on
 * anything that is not a letter or digit; one-letter words are dropped.
 */
export function searchTerms(text: string): string[] {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length >= 2 && word.length <= 64);
  return [...new Set(words)].slice(0, MAX_TERMS);
}

/** The keyed hash stored for a term: without the conversation's search key it reveals nothing. */
export function termHash(searchKey: Buffer, term: string): Buffer {
  return createHmac('sha256', searchKey).update(term, 'utf8').digest().subarray(0, TERM_BYTES);
}

/** A conversation's search key, derived from its first data key (stable across key rotations). */
export function deriveSearchKey(firstDataKey: Buffer, conversationId: string): Buffer {
  return createHmac('sha256', firstDataKey).update(`search|${conversationId}`).digest();
}
