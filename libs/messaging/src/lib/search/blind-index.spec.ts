import { randomBytes } from 'node:crypto';
import { deriveSearchKey, searchTerms, termHash } from './blind-index';

describe('blind index', () => {
  it('normalises to whole, accent-free, lower-case words', () => {
    expect(searchTerms('Élève a 38.5°C — call the NURSE, nurse!')).toEqual(['eleve', '38', 'call', 'the', 'nurse']);
  });

  it('hashes per conversation: the same word differs across conversations and hides the word', () => {
    const dataKey = randomBytes(32);
    const a = termHash(deriveSearchKey(dataKey, 'conversation-a'), 'nurse');
    const b = termHash(deriveSearchKey(dataKey, 'conversation-b'), 'nurse');
    expect(a).toHaveLength(16);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(termHash(deriveSearchKey(dataKey, 'conversation-a'), 'nurse'))).toBe(true);
    expect(a.toString('utf8')).not.toContain('nurse');
  });
});
