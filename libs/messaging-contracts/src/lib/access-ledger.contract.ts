import type { Message } from './message.contract';

/** How message content reached its reader. */
export type AccessVia = 'history' | 'socket-sync' | 'conversation-list' | 'message-edit' | 'export';

/**
 * One row of the access ledger: who read whose messages, when, how and from where. Never the
 * content. `GET /ledger/accesses` (admin) pages them.
 */
export interface LedgerAccess {
  /** The row's place in the hash chain (a decimal string: it is a bigint). */
  seq: string;
  /** The reader. */
  actorId: string;
  /** Whose content was read: the senders of the messages, the reader left out. */
  subjectIds: string[];
  conversationIds: string[];
  messageIds: string[];
  messageCount: number;
  via: AccessVia;
  ip: string | null;
  userAgent: string | null;
  at: string;
}

/** `GET /ledger/accesses` -> 200: newest first; `nextCursor` is the next page's `cursor`. */
export interface LedgerAccessPage {
  accesses: LedgerAccess[];
  nextCursor: string | null;
}

/** `GET /ledger/verify` (admin) -> 200: the hash chain walked from its first row to its head. */
export interface LedgerVerifyResult {
  ok: boolean;
  rowsChecked: number;
  /** The first row that does not hold (altered, out of chain, missing). */
  firstBrokenSeq?: string;
  reason?: string;
}

/** `GET /conversations/:id/export` (members; an admin too) -> 200: the conversation's messages, oldest first. */
export interface ConversationExport {
  conversationId: string;
  exportedAt: string;
  messages: Message[];
  /** True when the conversation holds more than the export's limit (CONVERSATION_EXPORT_MAX); the first ones are given. */
  truncated: boolean;
}

/** The most messages one export holds. */
export const CONVERSATION_EXPORT_MAX = 5_000;
