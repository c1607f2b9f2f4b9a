import { Injectable } from '@nestjs/common';
import { HeldNotificationRepository } from '@mq/db';
import type { NotificationChannel } from '@mq/messaging-contracts';
import type { OutgoingNotification } from '@mq/notifications';

/** Senders named in a digest; the rest are counted ("and 3 others"). */
const NAMED_SENDERS = 3;

/** A digest's content, and what to release once it went out. */
export type QuietDigest = (OutgoingNotification & { messageId?: string; release: () => Promise<number> }) | { skip: string; release: () => Promise<number> };

/**
 * The one notification per channel that ends a recipient's quiet period: how many messages quiet
 * hours held and who from, never what. A message read (in the app) or deleted before wake is left
 * out; when that leaves nothing, no digest goes out. Either way, once done, the period's held
 * items are released, so a rerun finds nothing to send.
 */
@Injectable()
export class QuietDigestService {
  constructor(private readonly held: HeldNotificationRepository) {}

  /** `channelOn`: the user's preference now; switched off since, the items are released unsent. */
  async content(recipientId: string, channel: NotificationChannel, wakeSeconds: number, channelOn: boolean): Promise<QuietDigest> {
    const wakeAt = new Date(wakeSeconds * 1000);
    const digest = await this.held.digest(recipientId, channel, wakeAt, NAMED_SENDERS);
    const release = () => this.held.release(recipientId, channel, wakeAt, digest.asOf);
    if (!channelOn) return { skip: `${channel} is switched off in the user's preferences`, release };
    if (digest.held === 0) return { skip: 'nothing held by quiet hours', release };
    if (digest.count === 0) return { skip: 'everything held was read before quiet hours ended', release };
    const others = digest.senderCount - digest.senders.length;
    const from = others > 0 ? `${digest.senders.join(', ')} and ${others} other${others === 1 ? '' : 's'}` : joinNames(digest.senders);
    return {
      title: digest.count === 1 ? '1 message during quiet hours' : `${digest.count} messages during quiet hours`,
      body: `From ${from}. Open the app to read ${digest.count === 1 ? 'it' : 'them'}.`,
      url: '/',
      tag: `quiet-${wakeSeconds}`,
      release,
    };
  }
}

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? 'someone') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
