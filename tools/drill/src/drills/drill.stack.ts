import { TestStack, type StackOptions } from '@mq/system-testing';

/** The send limit is per user and a drill's senders are few: the default 600/min would throttle the load. */
export const DRILL_ENV: Record<string, string> = { SEND_RATE_LIMIT_PER_MINUTE: '100000' };

/** A TestStack (own database, queue prefix, real processes) for the length of one drill. */
export async function withStack<T>(options: StackOptions, work: (stack: TestStack) => Promise<T>): Promise<T> {
  const stack = await TestStack.start({ ...options, env: { ...DRILL_ENV, ...options.env } });
  try {
    return await work(stack);
  } finally {
    await stack.stop();
  }
}

/** Every api instance's url, read at call time. */
export function apiUrls(stack: TestStack): () => string[] {
  return () => stack.apis.map((api) => api.url);
}
