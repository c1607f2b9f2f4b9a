const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value.trim());
}

export interface ParsedRecipients {
  /** Unique valid ids, in the order pasted. */
  ids: string[];
  /** Entries that are not user ids. */
  invalid: string[];
  /** How many repeats were dropped. */
  duplicates: number;
}

/** A pasted list of user ids: one per line, or separated by commas, semicolons or spaces. */
export function parseRecipientIds(text: string): ParsedRecipients {
  const ids: string[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const entry of text.split(/[\s,;]+/)) {
    const value = entry.trim().replace(/^["']|["']$/g, '');
    if (!value) continue;
    if (!isUuid(value)) {
      invalid.push(value);
      continue;
    }
    const id = value.toLowerCase();
    if (seen.has(id)) {
      duplicates += 1;
      continue;
    }
    seen.add(id);
    ids.push(id);
  }
  return { ids, invalid, duplicates };
}
