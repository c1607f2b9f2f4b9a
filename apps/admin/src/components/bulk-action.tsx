'use client';

import { useRef, useState } from 'react';
import { isApiError } from '../lib/api-client';
import { formatNumber } from '../lib/format';
import { ConfirmDialog } from './confirm-dialog';

export interface BulkActionCopy {
  /** "Retry 3 failed jobs of message-delivery?" */
  question: (matched: number) => string;
  /** Said when nothing matches. */
  nothing: string;
  confirmLabel: (matched: number) => string;
  /** "Retried 3 jobs." */
  done: (count: number) => string;
  tone?: 'default' | 'danger';
  detail?: string;
}

type Phase = { kind: 'idle' } | { kind: 'checking' } | { kind: 'confirm'; matched: number } | { kind: 'running'; matched: number };

export interface BulkActionState {
  /** Triggers stay enabled (a disabled button drops keyboard focus); `start` ignores repeats. */
  phase: Phase;
  start: () => void;
  dialog: React.ReactNode;
}

/**
 * Every bulk call goes dry run first: the api counts what it would touch (`{dryRun: true}`
 * -> `{matched}`), the operator confirms that number in a dialog, and only then it runs.
 */
export function useBulkAction(
  copy: BulkActionCopy,
  dryRun: () => Promise<number>,
  run: () => Promise<number>,
  report: (message: string, isError?: boolean) => void,
): BulkActionState {
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  // The button that started it gets focus back when the dialog closes.
  const trigger = useRef<HTMLElement | null>(null);

  const describe = (error: unknown) => (isApiError(error) ? error.message : 'the request failed');

  async function start() {
    if (phase.kind !== 'idle') return;
    trigger.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setPhase({ kind: 'checking' });
    try {
      const matched = await dryRun();
      setPhase({ kind: 'confirm', matched });
    } catch (error) {
      setPhase({ kind: 'idle' });
      report(`Could not count the jobs: ${describe(error)}.`, true);
    }
  }

  async function confirm(matched: number) {
    setPhase({ kind: 'running', matched });
    try {
      const count = await run();
      report(copy.done(count));
    } catch (error) {
      report(`Failed: ${describe(error)}.`, true);
    } finally {
      setPhase({ kind: 'idle' });
    }
  }

  const open = phase.kind === 'confirm' || phase.kind === 'running';
  const matched = open ? phase.matched : 0;
  const dialog = (
    <ConfirmDialog
      open={open}
      title={matched === 0 ? 'Nothing to do' : copy.question(matched)}
      confirmLabel={matched === 0 ? undefined : copy.confirmLabel(matched)}
      tone={copy.tone}
      busy={phase.kind === 'running'}
      onConfirm={() => void confirm(matched)}
      onCancel={() => setPhase({ kind: 'idle' })}
      returnFocusTo={trigger.current}
    >
      {matched === 0 ? (
        <p>{copy.nothing}</p>
      ) : (
        <>
          <p>
            The dry run matched <strong data-testid="dry-run-count">{formatNumber(matched)}</strong>. Nothing has changed yet.
          </p>
          {copy.detail ? <p className="muted">{copy.detail}</p> : null}
        </>
      )}
    </ConfirmDialog>
  );
  return { phase, start: () => void start(), dialog };
}
