import type { MessagingClient } from '@mq/messaging-client';

// What the harness, the senders and the recipients share; its own file so none imports another's.

export type Member = { id: string; client: MessagingClient };

export const now = (): number => performance.now();

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function healthy(url: string): Promise<boolean> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
}

export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` <- ${error.cause.message}` : '';
  return `${error.message}${cause}`.slice(0, 160);
}
