import type { BatchDetail, FailedDelivery } from '@mq/messaging-contracts';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BroadcastDetail, detailRefetchMs } from '../src/components/broadcast-detail';
import { fakeResponse, mockFetch, renderWithQuery } from './test-utils';

const BATCH = '0b6f1f7e-2a4b-4c39-9d41-5b0c1f1a2b3c';
const MESSAGE = '01900000-0000-7000-8000-000000000001';
const [ANN, BEN] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];

const DETAIL: BatchDetail = {
  id: BATCH,
  kind: 'broadcast',
  total: 5,
  processed: 3,
  failed: 2,
  status: 'completed',
  progress: 100,
  createdBy: '33333333-3333-4333-8333-333333333333',
  createdByName: 'School office',
  createdAt: '2026-03-02T09:00:00.000Z',
  startedAt: '2026-03-02T09:00:01.000Z',
  finishedAt: '2026-03-02T09:00:02.000Z',
  messageId: MESSAGE,
  chunkSize: 500,
  chunkDelayMs: 0,
  deliveries: { queued: 0, sent: 2, delivered: 1, read: 0, failed: 2 },
};

const failed = (recipientId: string): FailedDelivery => ({
  messageId: MESSAGE,
  conversationId: '44444444-4444-4444-8444-444444444444',
  recipientId,
  failureReason: 'recipient account is inactive',
  attempts: 1,
  jobId: `batch:${BATCH}`,
  failedAt: '2026-03-02T09:00:02.000Z',
});

describe('detailRefetchMs', () => {
  const at = (status: BatchDetail['status'], failedNow = 0) => ({ ...DETAIL, status, deliveries: { ...DETAIL.deliveries, failed: failedNow } });
  it('re-reads every second while it runs, slower while paused, every 10 s while failures wait, else not', () => {
    expect(detailRefetchMs(undefined, 0)).toBe(false);
    expect(detailRefetchMs(at('running'), 0)).toBe(1_000);
    expect(detailRefetchMs(at('queued'), 0)).toBe(1_000);
    expect(detailRefetchMs(at('paused'), 0)).toBe(3_000);
    expect(detailRefetchMs(at('completed', 2), 0)).toBe(10_000);
    expect(detailRefetchMs(at('completed'), 0)).toBe(false);
    // A retry just made: followed closely until its window ends.
    expect(detailRefetchMs(at('completed', 2), 5_000, 1_000)).toBe(1_000);
    expect(detailRefetchMs(at('cancelled'), 5_000, 6_000)).toBe(false);
  });
});

describe('BroadcastDetail', () => {
  it('shows who started it, its counts and its failed deliveries, and retries them all after a fresh count', async () => {
    const fetchMock = mockFetch();
    let retried = false;
    fetchMock.mockImplementation(async (input, init) => {
      const url = String(input);
      if (url === `/api/messages/batches/${BATCH}/detail`) return fakeResponse(200, DETAIL);
      if (url.startsWith('/api/deliveries/failed?')) {
        expect(new URL(url, 'http://console').searchParams.get('batchId')).toBe(BATCH);
        return fakeResponse(200, { deliveries: [failed(BEN), failed(ANN)], nextCursor: null });
      }
      if (url === '/api/deliveries/retry' && init?.method === 'POST') {
        retried = true;
        return fakeResponse(202, { retried: 1, jobIds: [`deliver:${MESSAGE}:retry-1`] });
      }
      return fakeResponse(404, { statusCode: 404, message: 'Not Found' });
    });
    renderWithQuery(<BroadcastDetail batchId={BATCH} />);

    expect((await screen.findByTestId('batch-started-by')).textContent).toBe('School office');
    expect(screen.getByTestId('batch-counts').textContent).toBe('3 of 5 processed · 2 failed');
    const counts = screen.getByTestId('delivery-counts');
    expect(within(counts).getByText('failed').nextSibling?.textContent).toBe('2');
    const rows = await screen.findAllByRole('row');
    expect(rows.slice(1).map((row) => row.getAttribute('data-recipient-id'))).toEqual([BEN, ANN]);
    expect(
      within(rows[1] as HTMLElement)
        .getByRole('link', { name: `batch:${BATCH}` })
        .getAttribute('href'),
    ).toBe(`/jobs/batch%3A${BATCH}`);
    expect(
      within(rows[1] as HTMLElement)
        .getByRole('link', { name: `Timeline of the delivery to ${BEN}` })
        .getAttribute('href'),
    ).toBe(`/messages/${MESSAGE}`);

    fireEvent.click(screen.getByRole('button', { name: 'Retry all failed…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Retry 2 failed deliveries of this broadcast?' });
    expect(within(dialog).getByTestId('dry-run-count').textContent).toBe('2');
    expect(retried).toBe(false);
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Retry 2' })));
    await waitFor(() => expect(screen.getByText('Retried 2 failed deliveries: they go out again now.')).toBeTruthy());
    const retry = fetchMock.mock.calls.find(([input]) => String(input) === '/api/deliveries/retry');
    expect(JSON.parse(String(retry?.[1]?.body))).toEqual({ messageIds: [MESSAGE] });
  });

  it('says when there is no such broadcast, and when none of its deliveries failed', async () => {
    const fetchMock = mockFetch();
    fetchMock.mockResolvedValue(fakeResponse(404, { statusCode: 404, message: `Batch ${BATCH} not found` }));
    const missing = renderWithQuery(<BroadcastDetail batchId={BATCH} />);
    expect((await screen.findByRole('alert')).textContent).toBe(`No broadcast ${BATCH}.`);
    missing.unmount();

    fetchMock.mockImplementation(async (input) =>
      String(input).startsWith('/api/deliveries/failed?')
        ? fakeResponse(200, { deliveries: [], nextCursor: null })
        : fakeResponse(200, { ...DETAIL, failed: 0, deliveries: { ...DETAIL.deliveries, failed: 0 } }),
    );
    renderWithQuery(<BroadcastDetail batchId={BATCH} />);
    expect(await screen.findByTestId('no-failed-deliveries')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Retry all failed…' })).toBeNull();
  });
});
