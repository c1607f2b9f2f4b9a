'use client';

import type { Batch, BatchStatus } from '@mq/messaging-contracts';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../lib/api-client';
import { formatNumber } from '../lib/format';
import { ConfirmDialog } from './confirm-dialog';
import { describeError } from './queue-overview';

export const TERMINAL_BATCH: ReadonlySet<BatchStatus> = new Set(['completed', 'cancelled', 'failed']);

/** The react-query key of a broadcast's page (`GET /messages/batches/:id/detail`). */
export const batchDetailKey = (batchId: string) => ['batch-detail', batchId] as const;

type BatchAction = 'pause' | 'resume' | 'cancel';

/**
 * A broadcast's fan-out: a progress bar with processed and failed counts, and pause, resume and
 * cancel while it runs. The caller reads the batch (and re-reads it while it runs); `onChanged`
 * hands back what an action answered.
 */
export function BatchProgress({ batch, onChanged }: { batch: Batch; onChanged: (updated: Batch) => void }) {
  const [notice, setNotice] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const act = useMutation({
    mutationFn: (action: BatchAction) => api.post(`/messages/batches/{id}/${action}` as const, { path: { id: batch.id } }),
    onSuccess: (updated, action) => {
      if (updated) onChanged(updated);
      setNotice(action === 'pause' ? 'Paused.' : action === 'resume' ? 'Resumed.' : 'Cancelled: nothing more is sent.');
      setCancelling(false);
    },
    onError: (error) => {
      setNotice(`Failed: ${describeError(error)}`);
      setCancelling(false);
    },
  });

  const progress = Math.max(0, Math.min(100, Math.round(batch.progress)));
  const running = !TERMINAL_BATCH.has(batch.status);

  return (
    <section className="panel batch" aria-labelledby="batch-title" data-batch-id={batch.id}>
      <h2 id="batch-title">Progress</h2>
      <div className="progress-row">
        <progress className="progress-bar" max={100} value={progress} aria-labelledby="batch-title" aria-valuetext={`${progress}%`} />
        <span className="progress-percent" data-testid="batch-progress">
          {progress}%
        </span>
      </div>
      <p data-testid="batch-counts">
        <strong>{formatNumber(batch.processed)}</strong> of {formatNumber(batch.total)} processed ·{' '}
        <strong className={batch.failed > 0 ? 'text-danger' : undefined}>{formatNumber(batch.failed)}</strong> failed
      </p>
      {/* Status changes only, not every percent. */}
      <p className="visually-hidden" role="status" aria-live="polite">
        Broadcast {batch.status}
        {TERMINAL_BATCH.has(batch.status) ? `: ${formatNumber(batch.processed)} processed, ${formatNumber(batch.failed)} failed.` : '.'}
      </p>
      {running ? (
        <div className="action-row">
          {batch.status === 'paused' ? (
            <button type="button" className="button" disabled={act.isPending} onClick={() => act.mutate('resume')}>
              Resume
            </button>
          ) : (
            <button type="button" className="button" disabled={act.isPending} onClick={() => act.mutate('pause')}>
              Pause
            </button>
          )}
          <button type="button" className="button" disabled={act.isPending} onClick={() => setCancelling(true)}>
            Cancel…
          </button>
        </div>
      ) : null}
      <p className="notice">{notice}</p>
      <ConfirmDialog
        open={cancelling}
        title="Cancel this broadcast?"
        confirmLabel="Cancel broadcast"
        cancelLabel="Keep sending"
        tone="danger"
        busy={act.isPending}
        onConfirm={() => act.mutate('cancel')}
        onCancel={() => setCancelling(false)}
      >
        <p>Recipients not reached yet get nothing; those already sent to keep their message.</p>
      </ConfirmDialog>
    </section>
  );
}
