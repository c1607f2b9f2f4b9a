import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { BatchProgress } from '../src/components/batch-progress';
import { BroadcastForm } from '../src/components/broadcast';
import { fakeResponse, mockFetch, renderWithQuery } from './test-utils';

jest.mock('next/navigation', () => ({ useRouter: () => ({ replace: jest.fn(), push: jest.fn() }) }));

const BATCH = '0b6f1f7e-2a4b-4c39-9d41-5b0c1f1a2b3c';

describe('BatchProgress', () => {
  it('shows the progress bar and the processed and failed counts, and pauses', async () => {
    const fetchMock = mockFetch();
    const batch = { id: BATCH, total: 500, processed: 200, failed: 3, status: 'running', progress: 40 } as const;
    fetchMock.mockImplementation(async (input, init) => {
      if (String(input) === `/api/messages/batches/${BATCH}/pause` && init?.method === 'POST') return fakeResponse(200, { ...batch, status: 'paused' });
      return fakeResponse(404, { statusCode: 404, message: 'Not Found' });
    });
    const changed = jest.fn();
    const view = renderWithQuery(<BatchProgress batch={batch} onChanged={changed} />);

    expect(screen.getByText('40%')).toBeTruthy();
    const bar = document.querySelector('progress') as HTMLProgressElement;
    expect(bar.value).toBe(40);
    expect(screen.getByTestId('batch-counts').textContent).toBe('200 of 500 processed · 3 failed');

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Pause' })));
    await waitFor(() => expect(changed).toHaveBeenCalledWith({ ...batch, status: 'paused' }));
    expect(screen.getByText('Paused.')).toBeTruthy();
    // The caller re-reads the batch and hands it down: now it can be resumed.
    view.rerender(
      <QueryClientProvider client={view.client}>
        <BatchProgress batch={{ ...batch, status: 'paused' }} onChanged={changed} />
      </QueryClientProvider>,
    );
    expect(screen.getByRole('button', { name: 'Resume' })).toBeTruthy();
  });

  it('offers no pause or cancel once the broadcast is over', () => {
    mockFetch();
    renderWithQuery(<BatchProgress batch={{ id: BATCH, total: 3, processed: 2, failed: 1, status: 'completed', progress: 100 }} onChanged={jest.fn()} />);
    expect(screen.queryByRole('button')).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('Broadcast completed: 2 processed, 1 failed.');
  });
});

describe('BroadcastForm', () => {
  it('refuses a pasted list with something that is not a user id, before asking anything', async () => {
    mockFetch();
    renderWithQuery(<BroadcastForm onStarted={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'Hello' } });
    fireEvent.click(screen.getByRole('radio', { name: 'These users' }));
    fireEvent.change(screen.getByLabelText('User ids'), { target: { value: `${BATCH}\nnot-an-id` } });
    fireEvent.click(screen.getByRole('button', { name: 'Send broadcast…' }));
    expect(screen.getAllByRole('alert')[0]?.textContent).toBe('These are not user ids: not-an-id');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('asks before sending to everyone, then posts allUsers', async () => {
    const fetchMock = mockFetch();
    fetchMock.mockResolvedValue(fakeResponse(202, { batchId: BATCH, jobId: `batch:${BATCH}` }));
    const started = jest.fn();
    renderWithQuery(<BroadcastForm onStarted={started} />);
    fireEvent.change(screen.getByLabelText('Message'), { target: { value: 'Closed on Friday' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send broadcast…' }));
    expect(await screen.findByRole('dialog', { name: 'Send to every active user?' })).toBeTruthy();
    expect(fetchMock).not.toHaveBeenCalled();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Send now' })));
    expect(JSON.parse(String(fetchMock.mock.calls[0]?.[1]?.body))).toEqual({ content: 'Closed on Friday', allUsers: true, chunkSize: 500, chunkDelay: 0 });
    expect(started).toHaveBeenCalledWith(BATCH);
  });
});
