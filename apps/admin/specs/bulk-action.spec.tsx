import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { useBulkAction } from '../src/components/bulk-action';
import { filterQuery } from '../src/components/failed-deliveries';
import { renderWithQuery } from './test-utils';

function Harness({ dryRun, run }: { dryRun: () => Promise<number>; run: () => Promise<number> }) {
  const [notice, setNotice] = useState('');
  const action = useBulkAction(
    {
      question: (n) => `Retry ${n} failed jobs?`,
      nothing: 'Nothing failed.',
      confirmLabel: (n) => `Retry ${n}`,
      done: (n) => `Retried ${n} jobs.`,
    },
    dryRun,
    run,
    (text) => setNotice(text),
  );
  return (
    <>
      <button type="button" onClick={action.start}>
        Retry all failed…
      </button>
      <p role="status">{notice}</p>
      {action.dialog}
    </>
  );
}

describe('bulk actions: dry run, then confirmation', () => {
  it('shows the dry-run count and runs only after confirming', async () => {
    const dryRun = jest.fn().mockResolvedValue(3);
    const run = jest.fn().mockResolvedValue(3);
    renderWithQuery(<Harness dryRun={dryRun} run={run} />);

    fireEvent.click(screen.getByRole('button', { name: 'Retry all failed…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Retry 3 failed jobs?' });
    expect(screen.getByTestId('dry-run-count').textContent).toBe('3');
    expect(dryRun).toHaveBeenCalledTimes(1);
    expect(run).not.toHaveBeenCalled();
    expect(document.activeElement?.textContent).toBe('Cancel');

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Retry 3' })));
    expect(run).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('status').textContent).toBe('Retried 3 jobs.');
    expect(dialog.hasAttribute('open')).toBe(false);
  });

  it('does nothing when cancelled', async () => {
    const run = jest.fn();
    renderWithQuery(<Harness dryRun={async () => 2} run={run} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry all failed…' }));
    await screen.findByRole('dialog');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(run).not.toHaveBeenCalled();
    expect(document.activeElement?.textContent).toBe('Retry all failed…');
  });

  it('only informs when the dry run matches nothing', async () => {
    renderWithQuery(<Harness dryRun={async () => 0} run={jest.fn()} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry all failed…' }));
    await screen.findByRole('dialog', { name: 'Nothing to do' });
    expect(screen.getByText('Nothing failed.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Retry \d/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Close' })).toBeTruthy();
  });
});

describe('failed delivery filters', () => {
  it('sends only the filters given, times as ISO instants', () => {
    expect(filterQuery({ queue: '', reason: ' ', from: '', to: '' })).toEqual({ limit: 50 });
    expect(filterQuery({ queue: 'message-delivery', reason: 'participant', from: '2026-01-01T08:00', to: '' }, 'next')).toEqual({
      limit: 50,
      queue: 'message-delivery',
      reason: 'participant',
      from: new Date('2026-01-01T08:00').toISOString(),
      cursor: 'next',
    });
  });
});
