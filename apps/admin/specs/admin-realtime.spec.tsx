import type { QueueCounts, QueueMetrics } from '@mq/messaging-contracts';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { act, screen, waitFor, within } from '@testing-library/react';
import { QueueOverview } from '../src/components/queue-overview';
import { RecentFailures } from '../src/components/recent-failures';
import { AdminRealtimeProvider } from '../src/lib/admin-realtime';
import { fakeResponse, mockFetch, renderWithQuery } from './test-utils';

jest.mock('next/link', () => ({
  __esModule: true,
  default: ({ href, children }: { href: string; children: React.ReactNode }) => <a href={href}>{children}</a>,
}));

type Handler = (...args: unknown[]) => void;

/** Stands in for AdminRealtimeConnection: the test drives its state and events. */
class FakeConnection {
  state = 'connecting';
  handlers = new Map<string, Set<Handler>>();
  stateListeners = new Set<(change: { state: string }) => void>();
  disconnected = false;
  on(event: string, handler: Handler) {
    const set = this.handlers.get(event) ?? new Set<Handler>();
    set.add(handler);
    this.handlers.set(event, set);
    return () => set.delete(handler);
  }
  onStateChange(listener: (change: { state: string }) => void) {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }
  onError() {
    return () => undefined;
  }
  reconnect() {
    return Promise.resolve();
  }
  disconnect() {
    this.disconnected = true;
  }
  setState(state: string) {
    this.state = state;
    for (const listener of this.stateListeners) listener({ state });
  }
  emit(event: string, ...args: unknown[]) {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }
}

let connection: FakeConnection;
const clientOptions: unknown[] = [];
const connectOptions: unknown[] = [];
jest.mock('@mq/messaging-client', () => ({
  MessagingClient: jest.fn().mockImplementation((options: unknown) => {
    clientOptions.push(options);
    return {
      connectAdmin: (options: unknown) => {
        connectOptions.push(options);
        return connection;
      },
    };
  }),
}));

function counts(seed: number): QueueCounts {
  return { waiting: seed, active: 0, completed: seed * 2, failed: 0, delayed: 0, paused: 0 };
}

function metrics(seed: number, failed = 0): QueueMetrics {
  const queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, counts(seed)])) as QueueMetrics['queues'];
  return { queues, totals: { ...counts(seed), failed }, timestamp: '2026-01-01T12:00:00.000Z' };
}

describe('AdminRealtimeProvider', () => {
  beforeEach(() => {
    connection = new FakeConnection();
    clientOptions.length = 0;
    connectOptions.length = 0;
    const fetchMock = mockFetch();
    fetchMock.mockImplementation(async (input) => {
      if (String(input) === '/api/queue/metrics') return fakeResponse(200, metrics(1));
      return fakeResponse(404, { statusCode: 404, message: 'Not Found' });
    });
  });

  it('opens /admin same-origin with the session cookie (no token), websocket first, and closes it on unmount', () => {
    const { unmount } = renderWithQuery(
      <AdminRealtimeProvider>
        <p>child</p>
      </AdminRealtimeProvider>,
    );
    expect(clientOptions).toEqual([{ baseUrl: `${window.location.origin}/api`, credentials: 'same-origin' }]);
    // No transports given: the client's default, websocket first with long-polling as the fallback.
    expect(connectOptions[0]).not.toHaveProperty('transports');
    unmount();
    expect(connection.disconnected).toBe(true);
  });

  it('puts queue:metrics from the socket on the cards and says it is live', async () => {
    renderWithQuery(
      <AdminRealtimeProvider>
        <QueueOverview />
      </AdminRealtimeProvider>,
    );
    const card = () => screen.getByRole('article', { name: QUEUE_NAMES[0] });
    await waitFor(() => expect(within(card()).getByText('Waiting').parentElement?.querySelector('dd')?.textContent).toBe('1'));
    expect(screen.getByText(/Live updates unavailable/)).toBeTruthy();

    act(() => {
      connection.setState('connected');
      connection.emit('queue:metrics', metrics(7, 2));
    });
    await waitFor(() => expect(within(card()).getByText('Waiting').parentElement?.querySelector('dd')?.textContent).toBe('7'));
    expect(screen.getByText(/^Live/)).toBeTruthy();

    // A rise in failures is announced politely, not every number.
    act(() => connection.emit('queue:metrics', metrics(7, 5)));
    // (react-query tells its observers on the next tick)
    expect(await screen.findByText('3 more failed jobs: 5 in all.')).toBeTruthy();

    act(() => connection.setState('reconnecting'));
    expect(screen.getByText(/Live updates unavailable: refreshing every 2 seconds/)).toBeTruthy();
  });

  it('lists job:failed events as they come', () => {
    renderWithQuery(
      <AdminRealtimeProvider>
        <RecentFailures />
      </AdminRealtimeProvider>,
    );
    act(() => {
      connection.setState('connected');
      connection.emit('job:failed', { queue: 'message-delivery', jobId: 'deliver:abc', name: 'send-message', failedReason: 'recipient left\n at stack' });
    });
    const link = screen.getByRole('link', { name: 'send-message' });
    expect(link.getAttribute('href')).toBe('/jobs/deliver%3Aabc');
    expect(screen.getByText(/recipient left$/)).toBeTruthy();
  });
});
