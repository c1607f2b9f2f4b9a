import { Inject, Injectable, Logger } from '@nestjs/common';
import { UserRepository } from '@mq/db';
import type { User } from '@mq/messaging-contracts';
import { API_CONFIG, ApiConfig } from '../api.config';
import { AuthenticatedUser } from '../auth/auth.types';
import { ConversationsService } from '../conversations/conversations.service';
import { MessageSendService } from '../messages/message-send.service';
import { BroadcastService } from '../operators/broadcast.service';
import { UsersService } from '../users/users.service';
import { DEMO_PASSWORD, DEMO_PEOPLE, DemoKey, demoPerson } from './demo-school.roster';
import { DEMO_BROADCAST, DEMO_THREADS, DEMO_UNDELIVERABLE } from './demo-school.script';

/** A message the demo's recipients read a little later, once the worker has sent it to them. */
export interface PendingRead {
  messageId: string;
  recipientIds: string[];
}

export interface SeededSchool {
  users: number;
  conversations: number;
  messages: number;
  /** The history, but for the last message of each conversation (left unread, as in life). */
  toRead: PendingRead[];
}

const toAuthenticated = (user: User): AuthenticatedUser => ({ id: user.id, email: user.email, displayName: user.displayName, role: user.role });

/**
 * Loads the demo school into an empty database through the services real users go through:
 * accounts, conversations and their history, a broadcast, and one message that cannot be
 * delivered (its recipient was deactivated first) — the worker does the rest, so the failed
 * delivery and its dead letter are the pipeline's own, not rows written here.
 */
@Injectable()
export class DemoSchoolSeeder {
  private readonly logger = new Logger(DemoSchoolSeeder.name);

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly userRows: UserRepository,
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly sender: MessageSendService,
    private readonly broadcasts: BroadcastService,
  ) {}

  /** Seeds when no user but the bootstrap admin exists; undefined when it left the database alone. */
  async seedIfEmpty(): Promise<SeededSchool | undefined> {
    if (!(await this.isEmpty())) return undefined;
    const office = demoPerson('office');
    // The first account doubles as a lock: an api starting at the same moment finds it taken and leaves the seeding to us.
    const created = await this.users.createIfAbsent({ email: office.email, displayName: office.displayName, role: office.role, password: DEMO_PASSWORD });
    if (!created) return undefined;
    const people = await this.createPeople(office.email);
    const school: SeededSchool = { users: people.size, conversations: 0, messages: 0, toRead: [] };

    const directWith = new Map<DemoKey, string>();
    for (const thread of DEMO_THREADS) {
      const { conversation } = await this.conversations.create(this.person(people, thread.starter), {
        type: thread.type,
        title: thread.title,
        participantIds: thread.members.map((key) => this.person(people, key).id),
      });
      school.conversations++;
      if (thread.type === 'direct') directWith.set(thread.members[0] as DemoKey, conversation.id);
      const everyone = [thread.starter, ...thread.members].map((key) => this.person(people, key).id);
      for (const [index, [from, content]] of thread.lines.entries()) {
        const senderId = this.person(people, from).id;
        const { message } = await this.sender.send(senderId, { conversationId: conversation.id, content });
        school.messages++;
        if (index < thread.lines.length - 1) school.toRead.push({ messageId: message.id, recipientIds: everyone.filter((id) => id !== senderId) });
      }
    }

    const chatUsers = DEMO_PEOPLE.filter((p) => p.kind === 'staff' || p.kind === 'parent').map((p) => this.person(people, p.key as DemoKey).id);
    await this.broadcasts.start(this.person(people, 'office'), { content: DEMO_BROADCAST, recipientIds: chatUsers });

    // The family left the school: the office deactivates the account, then the nurse (not knowing) writes to it.
    // The worker finds the recipient inactive, retries with backoff and, after its last attempt, marks the
    // delivery failed and dead-letters the job: what an operator then finds in the console.
    const leaver = this.person(people, 'sam');
    await this.users.update(leaver.id, { active: false }, this.person(people, 'office').id);
    const toLeaver = directWith.get('sam');
    if (toLeaver) await this.sender.send(this.person(people, 'nurse').id, { conversationId: toLeaver, content: DEMO_UNDELIVERABLE });

    this.logger.log({ users: school.users, conversations: school.conversations, messages: school.messages }, 'loaded the demo school');
    return school;
  }

  /** No user at all, or only the bootstrap admin: a database nobody has used yet. */
  private async isEmpty(): Promise<boolean> {
    const { items } = await this.userRows.page({ limit: 2 });
    const bootstrap = this.config.adminBootstrap?.email.toLowerCase();
    return items.every((user) => user.email === bootstrap);
  }

  /** The office's account exists; the others are created by it (so the audit log says who). */
  private async createPeople(officeEmail: string): Promise<Map<DemoKey, AuthenticatedUser>> {
    const officeRow = await this.userRows.findByEmail(officeEmail);
    if (!officeRow) throw new Error('the demo office account vanished while seeding');
    const { id, email, displayName, role } = officeRow;
    const people = new Map<DemoKey, AuthenticatedUser>([['office', { id, email, displayName, role }]]);
    // Hashing is the slow part (scrypt, ~0.4 s a password): all at once.
    await Promise.all(
      DEMO_PEOPLE.filter((p) => p.key !== 'office').map(async (p) => {
        const user = await this.users.create({ email: p.email, displayName: p.displayName, role: p.role, password: DEMO_PASSWORD }, id);
        people.set(p.key as DemoKey, toAuthenticated(user));
      }),
    );
    return people;
  }

  private person(people: ReadonlyMap<DemoKey, AuthenticatedUser>, key: DemoKey): AuthenticatedUser {
    const person = people.get(key);
    if (!person) throw new Error(`the demo school has no "${key}"`);
    return person;
  }
}
