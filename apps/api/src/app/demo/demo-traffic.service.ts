import { Injectable, Logger } from '@nestjs/common';
import { ConversationRepository, DeliveryRepository, UserRepository } from '@mq/db';
import { MessageSendService } from '../messages/message-send.service';
import { ReceiptsService } from '../messages/receipts.service';
import { DEMO_PEOPLE } from './demo-school.roster';
import { DEMO_TRAFFIC_LINES } from './demo-school.script';
import type { PendingRead } from './demo-school.seeder';

interface DemoConversation {
  id: string;
  memberIds: string[];
}

interface WaitingRead extends PendingRead {
  /** Steps it has waited for the worker to send it. */
  waited: number;
}

const MIN_GAP_MS = 1_000;
const MAX_GAP_MS = 3_000;
/** Most messages are read within seconds; the rest wait for their reader, as in life. */
const READ_SHARE = 0.8;
/** A read waits for the worker to have sent the message; one still unsent after this many steps is let go. */
const READ_PATIENCE = 10;
const WARN_EVERY_MS = 60_000;

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/**
 * A gentle trickle of the demo school's traffic while DEMO_DATA is on, so the console has
 * something live to show: every 1-3 s one demo user writes in one of the demo conversations
 * (through the same send path as a real client), and recipients read what the worker has sent
 * them. Each api instance with DEMO_DATA runs its own trickle (development runs one).
 */
@Injectable()
export class DemoTrafficService {
  private readonly logger = new Logger(DemoTrafficService.name);
  private conversations: DemoConversation[] = [];
  private staffIds = new Set<string>();
  private reads: WaitingRead[] = [];
  private timer?: NodeJS.Timeout;
  private step?: Promise<void>;
  private stopped = false;
  private lastWarningAt = 0;

  constructor(
    private readonly users: UserRepository,
    private readonly conversationRows: ConversationRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly sender: MessageSendService,
    private readonly receipts: ReceiptsService,
  ) {}

  /** Finds the demo school's conversations and starts; a database without them gets no traffic. */
  async start(toRead: readonly PendingRead[] = []): Promise<void> {
    this.conversations = await this.findConversations();
    if (this.conversations.length === 0) {
      this.logger.log('no demo school in this database (it had other users when DEMO_DATA first ran): no demo traffic');
      return;
    }
    this.reads = toRead.map((read) => ({ ...read, waited: 0 }));
    this.logger.log({ conversations: this.conversations.length }, 'demo traffic: a message every 1-3 s');
    this.scheduleNext();
  }

  /** Resolves once a step in flight has finished, so nothing uses the database after shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.step;
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.step = this.readAndWrite()
          .catch((error: unknown) => this.warn(error))
          .finally(() => {
            this.step = undefined;
            this.scheduleNext();
          });
      },
      MIN_GAP_MS + Math.random() * (MAX_GAP_MS - MIN_GAP_MS),
    );
  }

  private async readAndWrite(): Promise<void> {
    await this.readWhatWasSent();
    const conversation = pick(this.conversations);
    const senderId = pick(conversation.memberIds);
    const content = pick(DEMO_TRAFFIC_LINES[this.staffIds.has(senderId) ? 'staff' : 'parent']);
    const { message } = await this.sender.send(senderId, { conversationId: conversation.id, content });
    if (Math.random() < READ_SHARE) {
      this.reads.push({ messageId: message.id, recipientIds: conversation.memberIds.filter((id) => id !== senderId), waited: 0 });
    }
  }

  /** As a client would: `delivered` then `read`, only for what the worker has sent (a receipt never runs ahead of its send). */
  private async readWhatWasSent(): Promise<void> {
    const waiting: WaitingRead[] = [];
    for (const read of this.reads) {
      const sent = new Set((await this.deliveries.forMessage(read.messageId)).filter((d) => d.status === 'sent').map((d) => d.recipientId));
      const readers = read.recipientIds.filter((id) => sent.has(id));
      await Promise.all(readers.flatMap((id) => [this.receipts.record(id, read.messageId, 'delivered'), this.receipts.record(id, read.messageId, 'read')]));
      const left = read.recipientIds.filter((id) => !sent.has(id));
      if (left.length > 0 && read.waited < READ_PATIENCE) waiting.push({ ...read, recipientIds: left, waited: read.waited + 1 });
    }
    this.reads = waiting;
  }

  /** The demo's direct and group conversations whose members are all active demo chat users (never the leaver's). */
  private async findConversations(): Promise<DemoConversation[]> {
    const chatPeople = DEMO_PEOPLE.filter((p) => p.kind === 'staff' || p.kind === 'parent');
    const rows = await Promise.all(chatPeople.map(async (person) => ({ person, row: await this.users.findByEmail(person.email) })));
    const active = new Set<string>();
    this.staffIds = new Set();
    for (const { person, row } of rows) {
      if (!row?.active) continue;
      active.add(row.id);
      if (person.kind === 'staff') this.staffIds.add(row.id);
    }
    const found = new Map<string, DemoConversation>();
    // Every demo conversation has a member of staff in it.
    for (const staffId of this.staffIds) {
      for (const row of await this.conversationRows.listFor(staffId)) {
        if (row.type !== 'broadcast' && row.participantIds.every((id) => active.has(id))) found.set(row.id, { id: row.id, memberIds: row.participantIds });
      }
    }
    return [...found.values()];
  }

  /** Never the content: only what went wrong, and at most once a minute (a Redis or Postgres outage would fill the terminal). */
  private warn(error: unknown): void {
    if (Date.now() - this.lastWarningAt < WARN_EVERY_MS) return;
    this.lastWarningAt = Date.now();
    this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'demo traffic: a step failed; it carries on');
  }
}
