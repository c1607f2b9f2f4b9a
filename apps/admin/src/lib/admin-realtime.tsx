'use client';

import type { JobFailedEvent } from '@mq/messaging-contracts';
import { type ConnectionState, MessagingClient } from '@mq/messaging-client';
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { OPEN_ALERTS_QUERY_KEY, QUEUE_METRICS_QUERY_KEY } from './queue-metrics';

export interface RecentFailure extends JobFailedEvent {
  /** When the console heard of it (ms). */
  receivedAt: number;
}

export interface AdminRealtime {
  /** `connected` means numbers arrive over the socket; anything else means the console polls. */
  state: ConnectionState;
  /** The last few `job:failed` events, newest first. */
  recentFailures: readonly RecentFailure[];
}

/** Outside the provider (unit tests, or before the session is known): no socket, poll. */
const AdminRealtimeContext = createContext<AdminRealtime>({ state: 'disconnected', recentFailures: [] });

export function useAdminRealtime(): AdminRealtime {
  return useContext(AdminRealtimeContext);
}

/** A refused handshake (session ended, role changed) is not retried by socket.io itself. */
const RETRY_REFUSED_MS = 15_000;
const RECENT_FAILURES = 8;

/**
 * The `/admin` namespace of the api, same origin through src/proxy.ts (`/socket.io/`):
 * long-polling first, upgraded to a websocket when the path allows it. It authenticates with
 * the HttpOnly session cookie the browser sends with the handshake; no token is kept in
 * script. `queue:metrics` lands in the metrics query's cache, `alert` refreshes the open
 * alerts, `job:failed` feeds the recent-failures list.
 */
export function AdminRealtimeProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');
  const [recentFailures, setRecentFailures] = useState<readonly RecentFailure[]>([]);

  useEffect(() => {
    const client = new MessagingClient({ baseUrl: `${window.location.origin}/api`, credentials: 'same-origin' });
    // WebSocket first (the client's default), so N api instances need no sticky sessions;
    // long-polling only where a proxy in between refuses the upgrade.
    const connection = client.connectAdmin({
      reconnection: { delayMs: 1_000, maxDelayMs: 10_000 },
    });
    setState(connection.state);
    const unsubscribe = [
      connection.onStateChange((change) => setState(change.state)),
      connection.on('queue:metrics', (metrics) => queryClient.setQueryData(QUEUE_METRICS_QUERY_KEY, metrics)),
      connection.on('alert', () => void queryClient.invalidateQueries({ queryKey: OPEN_ALERTS_QUERY_KEY })),
      connection.on('job:failed', (event) => setRecentFailures((previous) => [{ ...event, receivedAt: Date.now() }, ...previous].slice(0, RECENT_FAILURES))),
      // Connection errors show as the state; polling covers the numbers meanwhile.
      connection.onError(() => undefined),
    ];
    const retry = setInterval(() => {
      if (connection.state === 'disconnected') connection.reconnect().catch(() => undefined);
    }, RETRY_REFUSED_MS);
    return () => {
      clearInterval(retry);
      for (const off of unsubscribe) off();
      connection.disconnect();
    };
  }, [queryClient]);

  const value = useMemo(() => ({ state, recentFailures }), [state, recentFailures]);
  return <AdminRealtimeContext.Provider value={value}>{children}</AdminRealtimeContext.Provider>;
}
