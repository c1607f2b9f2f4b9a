'use client';

import { type ReactNode, useEffect, useId, useRef } from 'react';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children: ReactNode;
  /** Without it the dialog only informs (one Close button). */
  confirmLabel?: string;
  cancelLabel?: string;
  /** `danger` styles the confirm button as destructive. */
  tone?: 'default' | 'danger';
  busy?: boolean;
  onConfirm?: () => void;
  onCancel: () => void;
  /** Where focus goes when it closes; default: whatever had focus when it opened. */
  returnFocusTo?: HTMLElement | null;
}

/**
 * A modal confirmation on the native <dialog>: the browser traps focus inside it, makes the
 * rest of the page inert and closes it on Escape. Focus starts on the safe choice (Cancel)
 * and returns to whatever opened it.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = confirmLabel ? 'Cancel' : 'Close',
  tone = 'default',
  busy = false,
  onConfirm,
  onCancel,
  returnFocusTo,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = returnFocusTo ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
      // jsdom has no showModal; the open attribute is enough there.
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      cancelRef.current?.focus();
    } else if (!open && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
      returnFocus.current?.focus();
    }
    // returnFocusTo is read when it opens only.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        // Escape: let React state close it, so state and element never disagree.
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      {open ? (
        <>
          <h2 id={titleId}>{title}</h2>
          <div id={bodyId} className="dialog-body">
            {children}
          </div>
          <div className="dialog-actions">
            <button ref={cancelRef} type="button" className="button" onClick={onCancel} disabled={busy}>
              {cancelLabel}
            </button>
            {confirmLabel && onConfirm ? (
              <button
                type="button"
                className={tone === 'danger' ? 'button button-danger' : 'button button-primary'}
                onClick={onConfirm}
                disabled={busy}
                aria-busy={busy || undefined}
              >
                {busy ? 'Working…' : confirmLabel}
              </button>
            ) : null}
          </div>
        </>
      ) : null}
    </dialog>
  );
}
