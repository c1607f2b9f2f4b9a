import { ApiError, MessagingClient } from '@mq/messaging-client';
import { Member, describe, now, sleep } from './drill.support';

export interface Accepted {
  id: string;
  clientMessageId: string;
  sentAt: number;
  acceptedAt: number;
}

/** Sends with retries: a network error, a timeout or a 5xx is retried with the same clientMessageId (on the next api). */
export class Sender {
  readonly accepted = new Map<string, Accepted>();
  attempted = 0;
  unconfirmed = 0;
  retries = 0;
  readonly errors = new Map<string, number>();
  private readonly clients = new Map<string, MessagingClient>();

  constructor(
    readonly member: Member,
    readonly conversationId: string,
    private readonly apis: () => readonly string[],
  ) {}

  client(index: number): MessagingClient {
    const url = this.apis()[index % this.apis().length] ?? '';
    let client = this.clients.get(url);
    if (!client) {
      client = new MessagingClient({ baseUrl: url, token: this.member.client.token, timeoutMs: 10_000 });
      this.clients.set(url, client);
    }
    return client;
  }

  async send(clientMessageId: string, apiIndex = 0, giveUpAfterMs = 30_000): Promise<Accepted | undefined> {
    this.attempted += 1;
    const sentAt = now();
    let index = apiIndex;
    for (;;) {
      try {
        const { body } = await this.client(index).sendMessage({
          conversationId: this.conversationId,
          content: `drill ${clientMessageId}`,
          clientMessageId,
        });
        const accepted = { id: body.message.id, clientMessageId, sentAt, acceptedAt: now() };
        this.accepted.set(clientMessageId, accepted);
        return accepted;
      } catch (error) {
        const key = describe(error);
        this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
        const retryable = !(error instanceof ApiError) || error.status >= 500 || error.status === 429 || error.status === 408;
        if (!retryable || now() - sentAt > giveUpAfterMs) {
          this.unconfirmed += 1;
          return undefined;
        }
        this.retries += 1;
        index += 1;
        await sleep(250);
      }
    }
  }
}
