import type { QueueCounts, QueueMetrics } from '@mq/messaging-contracts';
import { QUEUE_NAMES } from '@mq/queue-contracts';
import { screen, waitFor, within } from '@testing-library/react';
import { ConsoleShell } from '../src/components/console-shell';
import { QueueOverview } from '../src/components/queue-overview';
import { fakeResponse, type FetchMock, mockFetch, renderWithQuery } from './test-utils';

const replace = jest.fn();
jest.mock('next/navigation', () => ({
  useRouter: () => ({ replace, push: jest.fn(), refresh: jest.fn(), back: jest.fn(), forward: jest.fn(), prefetch: jest.fn() }),
  usePathname: () => '/',
}));

const ADMIN = { id: 'u1', email: 'ops@example.com', displayName: 'Ops', role: 'admin' };

function counts(seed: number): QueueCounts {
  return { waiting: seed, active: seed + 1, completed: seed + 2, failed: seed + 3, delayed: seed + 4, paused: seed + 5 };
}

function metrics(): QueueMetrics {
  const queues = Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, counts(i * 10)])) as QueueMetrics['queues'];
  return { queues, totals: counts(0), timestamp: '2026-01-01T12:00:00.000Z' };
}

function route(fetchMock: FetchMock, answers: Record<string, () => Promise<Response>>) {
  fetchMock.mockImplementation((input) => {
    const answer = answers[String(input)];
    return answer ? answer() : Promise.resolve(fakeResponse(404, { statusCode: 404, message: 'Not Found' }));
  });
}

describe('ConsoleShell', () => {
  let fetchMock: FetchMock;
  beforeEach(() => {
    replace.mockReset();
    fetchMock = mockFetch();
  });

  it('redirects to /login?next=/ on 401', async () => {
    route(fetchMock, { '/api/me': async () => fakeResponse(401, { statusCode: 401, message: 'Unauthorized' }) });
    renderWithQuery(<ConsoleShell>secret</ConsoleShell>);
    await waitFor(() => expect(replace).toHaveBeenCalledWith('/login?next=/'));
    expect(screen.queryByText('secret')).toBeNull();
  });

  it('treats an unreachable api as signed out and redirects', async () => {
    route(fetchMock, { '/api/me': () => Promise.reject(new TypeError('Failed to fetch')) });
    renderWithQuery(<ConsoleShell>secret</ConsoleShell>);
    await waitFor(() => expect(replace).toHaveBeenCalledWith('/login?next=/'));
    expect(screen.queryByText('secret')).toBeNull();
  });

  it('keeps a signed-in operator on the page when a later session re-check cannot reach the api', async () => {
    let calls = 0;
    route(fetchMock, {
      '/api/me': () => (++calls === 1 ? Promise.resolve(fakeResponse(200, ADMIN)) : Promise.reject(new TypeError('Failed to fetch'))),
    });
    const { client } = renderWithQuery(<ConsoleShell>dashboard body</ConsoleShell>);
    expect(await screen.findByText('dashboard body')).toBeTruthy();

    await client.refetchQueries();
    await waitFor(() => expect(calls).toBe(2));
    expect(screen.getByText('dashboard body')).toBeTruthy();
    expect(replace).not.toHaveBeenCalled();
  });

  it('redirects once a later re-check says the session ended (401)', async () => {
    let calls = 0;
    route(fetchMock, {
      '/api/me': async () => (++calls === 1 ? fakeResponse(200, ADMIN) : fakeResponse(401, { statusCode: 401, message: 'Unauthorized' })),
    });
    const { client } = renderWithQuery(<ConsoleShell>dashboard body</ConsoleShell>);
    expect(await screen.findByText('dashboard body')).toBeTruthy();

    await client.refetchQueries();
    await waitFor(() => expect(replace).toHaveBeenCalledWith('/login?next=/'));
    expect(screen.queryByText('dashboard body')).toBeNull();
  });

  it('shows the header, the user and the nav once signed in', async () => {
    route(fetchMock, { '/api/me': async () => fakeResponse(200, ADMIN) });
    renderWithQuery(<ConsoleShell>dashboard body</ConsoleShell>);
    expect(await screen.findByText('dashboard body')).toBeTruthy();
    expect(screen.getByText('Message pipeline console')).toBeTruthy();
    expect(screen.getByText('ops@example.com')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    const bullBoard = within(nav).getByRole('link', { name: /Bull Board/ });
    expect(bullBoard.getAttribute('href')).toBe('/admin/queues');
    expect(bullBoard.getAttribute('target')).toBe('_blank');
    expect(replace).not.toHaveBeenCalled();
  });
});

describe('QueueOverview', () => {
  let fetchMock: FetchMock;
  beforeEach(() => {
    fetchMock = mockFetch();
  });

  function cards() {
    return QUEUE_NAMES.map((name) => screen.getByRole('article', { name }));
  }

  it('shows a loading state per queue, then the six counts of each of the six queues', async () => {
    let answer: (response: Response) => void = () => undefined;
    route(fetchMock, { '/api/queue/metrics': () => new Promise<Response>((resolve) => (answer = resolve)) });
    renderWithQuery(<QueueOverview />);

    expect(cards()).toHaveLength(6);
    for (const card of cards()) expect(within(card).getByText('Loading…')).toBeTruthy();

    answer(fakeResponse(200, metrics()));
    await waitFor(() => expect(screen.queryAllByText('Loading…')).toHaveLength(0));
    const second = screen.getByRole('article', { name: QUEUE_NAMES[1] });
    const waiting = within(second).getByText('Waiting').parentElement;
    expect(waiting?.querySelector('dd')?.textContent).toBe('10');
    const paused = within(second).getByText('Paused').parentElement;
    expect(paused?.querySelector('dd')?.textContent).toBe('15');
  });

  it('shows "Metrics unavailable" on every card, and no numbers, when the api fails', async () => {
    route(fetchMock, { '/api/queue/metrics': async () => fakeResponse(500, 'Internal Server Error', 'text/plain') });
    renderWithQuery(<QueueOverview />);

    await waitFor(() => expect(screen.getAllByText('Metrics unavailable')).toHaveLength(6));
    expect(screen.getByRole('alert').textContent).toContain('the API is unreachable');
    for (const card of cards()) expect(card.querySelector('dd')).toBeNull();
  });

  it('marks a queue missing from the answer as unavailable instead of inventing zeros', async () => {
    const body = metrics();
    delete (body.queues as Partial<QueueMetrics['queues']>)[QUEUE_NAMES[5]];
    route(fetchMock, { '/api/queue/metrics': async () => fakeResponse(200, body) });
    renderWithQuery(<QueueOverview />);

    const last = screen.getByRole('article', { name: QUEUE_NAMES[5] });
    await waitFor(() => expect(within(last).getByText('Metrics unavailable')).toBeTruthy());
    expect(screen.getAllByText('Metrics unavailable')).toHaveLength(1);
  });
});
