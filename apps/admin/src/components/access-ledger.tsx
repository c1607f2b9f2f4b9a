'use client';

import type { LedgerAccess, LedgerVerifyResult } from '@mq/messaging-contracts';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber, shortId } from '../lib/format';
import { LoadMore } from './load-more';
import { describeError } from './queue-overview';
import { UserPicker } from './user-picker';

const PAGE_LIMIT = 50;

const VIA_LABELS: Record<LedgerAccess['via'], string> = {
  history: 'History (REST)',
  'socket-sync': 'Sync (socket)',
  'conversation-list': 'Conversation list',
  'message-edit': 'Own edit',
  export: 'Export',
};

interface Subject {
  id: string;
  label: string;
}

/**
 * "Who read this person's messages, when": pick a person, list every access to their messages
 * from the access ledger (newest first, a page at a time), download it as CSV (the export is
 * itself audited), and check the ledger's hash chain.
 */
export function AccessLedger({ initialSubjectId = '' }: { initialSubjectId?: string }) {
  const [subject, setSubject] = useState<Subject | null>(initialSubjectId ? { id: initialSubjectId, label: initialSubjectId } : null);
  const accesses = useInfiniteQuery({
    queryKey: ['ledger-accesses', subject?.id],
    queryFn: ({ pageParam, signal }) => api.get('/ledger/accesses', { query: { subjectId: subject?.id, limit: PAGE_LIMIT, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: subject !== null,
  });
  const rows = accesses.data?.pages.flatMap((page) => page.accesses) ?? [];
  return (
    <>
      <h1>Access ledger</h1>
      <p className="muted">
        Every read of message content (history, sync, conversation list, export) is a row of a hash-chained, append-only ledger: who read whose messages, when,
        how and from where. Never the content.
      </p>
      <VerifyPanel />
      <section className="panel" aria-labelledby="ledger-title">
        <div className="section-heading">
          <h2 id="ledger-title">{subject ? `Who read ${subject.label}’s messages` : 'Who read whose messages'}</h2>
          {subject ? (
            <>
              <button type="button" className="button button-small" onClick={() => void accesses.refetch()} disabled={accesses.isFetching}>
                {accesses.isFetching && !accesses.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
              </button>
              <a className="button button-small" href={`/api/ledger/accesses.csv?${new URLSearchParams({ subjectId: subject.id }).toString()}`} download>
                Export CSV
              </a>
            </>
          ) : null}
        </div>
        <UserPicker label="Person whose messages" onPick={(user) => setSubject({ id: user.id, label: `${user.displayName} (${user.email})` })} />
        {!subject ? (
          <p className="muted">Pick a person to see who read their messages.</p>
        ) : accesses.isError ? (
          <p className="banner banner-error" role="alert">
            Access ledger unavailable: {describeError(accesses.error)}
          </p>
        ) : !accesses.data ? (
          <p className="muted">Loading…</p>
        ) : rows.length === 0 ? (
          <p className="muted">Nobody has read their messages.</p>
        ) : (
          <AccessTable rows={rows} />
        )}
        <LoadMore query={accesses} label="Load older accesses" />
      </section>
    </>
  );
}

function AccessTable({ rows }: { rows: LedgerAccess[] }) {
  return (
    <div className="table-scroll">
      <table className="table">
        <caption className="visually-hidden">Accesses to the person’s messages, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Reader</th>
            <th scope="col">Via</th>
            <th scope="col">Conversation</th>
            <th scope="col">Messages</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((access) => (
            <tr key={access.seq} data-seq={access.seq} data-actor-id={access.actorId}>
              <td>{formatDateTime(access.at)}</td>
              <td className="mono">
                <Link href={PAGES.users(access.actorId)}>{access.actorId}</Link>
              </td>
              <td>{VIA_LABELS[access.via]}</td>
              <td className="mono" title={access.conversationIds.join(' ')}>
                {access.conversationIds.map(shortId).join(', ')}
              </td>
              <td>{formatNumber(access.messageCount)}</td>
              <td title={access.userAgent ?? undefined}>
                {access.ip ?? '—'}
                {access.userAgent ? <span className="muted"> · {access.userAgent.slice(0, 40)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Walks the whole chain on the api (a page at a time) and says whether it holds. */
function VerifyPanel() {
  const verify = useMutation({ mutationFn: (): Promise<LedgerVerifyResult> => api.get('/ledger/verify') });
  const result = verify.data;
  return (
    <section className="panel" aria-labelledby="verify-title">
      <div className="section-heading">
        <h2 id="verify-title">Chain check</h2>
        <button type="button" className="button button-small" onClick={() => verify.mutate()} disabled={verify.isPending}>
          {verify.isPending ? 'Verifying…' : 'Verify'}
        </button>
      </div>
      <p role="status" aria-live="polite" data-testid="ledger-verify" data-ok={result ? String(result.ok) : undefined}>
        {verify.isError
          ? `Verify failed: ${describeError(verify.error)}`
          : !result
            ? 'Not checked yet.'
            : result.ok
              ? `OK: ${formatNumber(result.rowsChecked)} rows checked, the chain is intact.`
              : `Broken at row ${result.firstBrokenSeq}: ${result.reason} (${formatNumber(result.rowsChecked)} rows checked).`}
      </p>
    </section>
  );
}
