import type { FetchFunction } from '@mq/messaging-client';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Keep-alive connections the bench's REST senders share, as an app's HTTP client or a load
 * balancer in front of the api keeps a bounded pool. Without a bound, 512 sends in flight open
 * 512 connections at once: they overflow the api's listen backlog (511), and the SYN
 * retransmits (1, 3, 7 s) then measure the kernel instead of the api.
 */
export const REST_CONNECTIONS = 64;

const agent = new Agent({ connections: REST_CONNECTIONS, keepAliveTimeout: 30_000 });

/** fetch over the bench's shared pool. */
export const pooledFetch: FetchFunction = (input, init) =>
  undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent }) as unknown as Promise<Response>;
