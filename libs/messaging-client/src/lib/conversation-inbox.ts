import { MESSAGES_PAGE_MAX, SOCKET_EVENTS, type ListMessagesQuery, type Message, type MessageDeletedEvent, type MessagesPage } from '@mq/messaging-contracts';
import type { RealtimeConnection } from './realtime.connection';

/** Where missing messages come from: `MessagingClient` fits. */
export interface MessagePageSource {
  listMessages(conversationId: string, query?: ListMessagesQuery): Promise<MessagesPage>;
}

export interface ConversationInboxOptions {
  /** Seqs up to this one are not expected (history the client chose not to load). Default 0. */
  startAfterSeq?: number;
}

export interface CatchUpOptions {
  /** Default MESSAGES_PAGE_MAX. */
  pageSize?: number;
  /** A guard against a server that never stops answering full pages. Default 10,000. */
  maxPages?: number;
}

export interface CatchUpResult {
  /** Messages that were new to the inbox. */
  added: number;
  pages: number;
  /** True when no seq below the highest one is missing. */
  complete: boolean;
}

/** A message that has gone out, so has its place in the conversation. */
export type SequencedMessage = Message & { seq: number };

/**
 * What a client keeps for one conversation: each message once (by id), ordered by `seq`,
 * with the gaps a dropped connection leaves made visible and fillable.
 */
export class ConversationInbox {
  private readonly byId = new Map<string, SequencedMessage>();
  private readonly seqs = new Set<number>();
  private contiguousSeq: number;
  private maxSeq: number;
  private orderedCache: readonly SequencedMessage[] | null = null;
  private duplicateCount = 0;

  constructor(
    readonly conversationId: string,
    options: ConversationInboxOptions = {},
  ) {
    this.contiguousSeq = options.startAfterSeq ?? 0;
    this.maxSeq = this.contiguousSeq;
  }

  /** Messages ordered by `seq` (ties, which a correct server never sends, by id). */
  get messages(): readonly SequencedMessage[] {
    this.orderedCache ??= Object.freeze([...this.byId.values()].sort((a, b) => a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    return this.orderedCache;
  }

  /** Distinct messages held. */
  get size(): number {
    return this.byId.size;
  }

  /** How many times a message already held arrived again (redeliveries, overlapping pages). */
  get duplicates(): number {
    return this.duplicateCount;
  }

  has(messageId: string): boolean {
    return this.byId.has(messageId);
  }

  get(messageId: string): SequencedMessage | undefined {
    return this.byId.get(messageId);
  }

  /**
   * Takes a message from `message:new`, a REST page or `sync`. Returns true when it was new;
   * a message of another conversation, or one without a seq yet (the sender's own scheduled
   * message), is ignored. A copy already held is replaced only by a newer edit or a deletion,
   * so a late redelivery never rolls an edit back.
   */
  add(message: Message): boolean {
    if (message.conversationId !== this.conversationId || !isSequenced(message)) return false;
    const held = this.byId.get(message.id);
    if (held) {
      this.duplicateCount += 1;
      if (supersedes(message, held)) this.replace(message);
      return false;
    }
    this.byId.set(message.id, message);
    this.seqs.add(message.seq);
    this.maxSeq = Math.max(this.maxSeq, message.seq);
    while (this.seqs.has(this.contiguousSeq + 1)) this.contiguousSeq += 1;
    this.orderedCache = null;
    return true;
  }

  /** Returns how many were new. */
  addAll(messages: readonly Message[]): number {
    let added = 0;
    for (const message of messages) if (this.add(message)) added += 1;
    return added;
  }

  /** `message:updated`: the edited copy replaces the held one (or is added if it was missing). */
  update(message: Message): void {
    if (message.conversationId !== this.conversationId || !isSequenced(message)) return;
    const held = this.byId.get(message.id);
    if (!held) this.add(message);
    else if (held.status !== 'deleted') this.replace(message);
  }

  /** `message:deleted`: keeps the seq (no false gap) but drops the content. */
  markDeleted(event: MessageDeletedEvent): void {
    const held = event.conversationId === this.conversationId ? this.byId.get(event.id) : undefined;
    if (held) this.replace({ ...held, content: '', status: 'deleted' });
  }

  /** The highest seq up to which nothing is missing: fetch `afterSeq=` this to fill the first gap. */
  missingAfter(): number {
    return this.contiguousSeq;
  }

  highestSeq(): number {
    return this.maxSeq;
  }

  hasGap(): boolean {
    return this.maxSeq > this.contiguousSeq;
  }

  /** Every seq missing below the highest one held. */
  missingSeqs(): number[] {
    const missing: number[] = [];
    for (let seq = this.contiguousSeq + 1; seq < this.maxSeq; seq += 1) {
      if (!this.seqs.has(seq)) missing.push(seq);
    }
    return missing;
  }

  /**
   * Fetches `GET /conversations/:id/messages?afterSeq=` pages from the first gap until the
   * server has nothing more (a short page), so gaps are filled and newer messages arrive too.
   * A seq the server never returns (a row it will not show) stays a gap:
   * `complete` says so instead of looping.
   */
  async catchUp(source: MessagePageSource, options: CatchUpOptions = {}): Promise<CatchUpResult> {
    const pageSize = options.pageSize ?? MESSAGES_PAGE_MAX;
    const maxPages = options.maxPages ?? 10_000;
    let afterSeq = this.missingAfter();
    let added = 0;
    let pages = 0;
    while (pages < maxPages) {
      const { messages } = await source.listMessages(this.conversationId, { afterSeq, limit: pageSize });
      pages += 1;
      added += this.addAll(messages);
      const lastSeq = messages.at(-1)?.seq ?? null;
      if (messages.length < pageSize || lastSeq === null || lastSeq <= afterSeq) break;
      // Skip straight past whatever is already held contiguously.
      afterSeq = Math.max(lastSeq, this.missingAfter());
    }
    return { added, pages, complete: !this.hasGap() };
  }

  /** Feeds `message:new`, `message:updated` and `message:deleted` into the inbox; returns the detach function. */
  attach(connection: Pick<RealtimeConnection, 'on'>): () => void {
    const detach = [
      connection.on(SOCKET_EVENTS.MESSAGE_NEW, (message) => void this.add(message)),
      connection.on(SOCKET_EVENTS.MESSAGE_UPDATED, (message) => this.update(message)),
      connection.on(SOCKET_EVENTS.MESSAGE_DELETED, (event) => this.markDeleted(event)),
    ];
    return () => detach.forEach((off) => off());
  }

  private replace(message: SequencedMessage): void {
    this.byId.set(message.id, message);
    this.orderedCache = null;
  }
}

function isSequenced(message: Message): message is SequencedMessage {
  return typeof message.seq === 'number';
}

function supersedes(incoming: Message, held: Message): boolean {
  if (incoming.status === 'deleted') return held.status !== 'deleted';
  if (held.status === 'deleted') return false;
  const incomingEdit = incoming.editedAt ? Date.parse(incoming.editedAt) : -Infinity;
  const heldEdit = held.editedAt ? Date.parse(held.editedAt) : -Infinity;
  return incomingEdit > heldEdit;
}
