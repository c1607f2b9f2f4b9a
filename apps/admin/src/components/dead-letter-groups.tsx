'use client';

import type { DeadLetterGroup } from '@mq/messaging-contracts';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { api } from '../lib/api-client';
import { PAGES } from '../lib/endpoints';
import { formatDateTime, formatNumber } from '../lib/format';
import { useBulkAction } from './bulk-action';
import { describeError } from './queue-overview';

export const DEAD_LETTERS_QUERY_KEY = ['dead-letters'] as const;

/** A bulk discard that can still be undone. */
export interface UndoableDiscard {
  discardId: string;
  discarded: number;
  undoUntil: string;
}

interface GroupsProps {
  selected: string | null;
  onSelect: (fingerprint: string | null) => void;
  report: (text: string, error?: boolean) => void;
  onDiscarded: (discard: UndoableDiscard) => void;
}

const plural = (n: number, word: string) => `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;

/** Dead letters by cause (job name + normalised error + top frame): replay or discard a whole cause at once, dry run first. */
export function DeadLetterGroups({ selected, onSelect, report, onDiscarded }: GroupsProps) {
  const groups = useQuery({
    queryKey: [...DEAD_LETTERS_QUERY_KEY, 'groups'],
    queryFn: ({ signal }) => api.get('/dead-letters/groups', { signal }),
    refetchInterval: 10_000,
  });
  const rows = groups.data ?? [];
  return (
    <section className="panel" aria-labelledby="groups-title">
      <h2 id="groups-title">By cause</h2>
      {groups.isError ? (
        <p className="banner banner-error" role="alert">
          Causes unavailable: {describeError(groups.error)}
        </p>
      ) : !groups.data ? (
        <p className="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="muted">No dead letters, so no causes.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Dead letters grouped by cause, the most recently seen first</caption>
            <thead>
              <tr>
                <th scope="col">Letters</th>
                <th scope="col">Queue / job</th>
                <th scope="col">Cause</th>
                <th scope="col">First / last seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((group) => (
                <GroupRow
                  key={group.fingerprint}
                  group={group}
                  selected={group.fingerprint === selected}
                  onSelect={onSelect}
                  report={report}
                  onDiscarded={onDiscarded}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function GroupRow({ group, selected, onSelect, report, onDiscarded }: { group: DeadLetterGroup; selected: boolean } & Omit<GroupsProps, 'selected'>) {
  const queryClient = useQueryClient();
  const refresh = () => void queryClient.invalidateQueries({ queryKey: DEAD_LETTERS_QUERY_KEY });
  const path = { fingerprint: group.fingerprint };
  const matched = (answer: { matched: number } | object) => ('matched' in answer ? answer.matched : 0);

  const replay = useBulkAction(
    {
      question: (n) => `Replay ${plural(n, 'dead letter')} of this cause?`,
      nothing: 'Every letter of this cause has been replayed already.',
      confirmLabel: (n) => `Replay ${formatNumber(n)}`,
      done: (n) => `Replayed ${plural(n, 'dead letter')} of ${group.jobName}.`,
      detail: 'Only letters not replayed yet run again. If the cause is not fixed they will fail again and come back here.',
    },
    async () => matched(await api.post('/dead-letters/groups/{fingerprint}/replay', { path, body: { dryRun: true } })),
    async () => {
      const answer = await api.post('/dead-letters/groups/{fingerprint}/replay', { path, body: {} });
      refresh();
      return 'replayed' in answer ? answer.replayed : 0;
    },
    report,
  );
  const discard = useBulkAction(
    {
      question: (n) => `Discard ${plural(n, 'dead letter')} of this cause?`,
      nothing: 'This cause has no dead letters left.',
      confirmLabel: (n) => `Discard ${formatNumber(n)}`,
      done: (n) => `Discarded ${plural(n, 'dead letter')}.`,
      tone: 'danger',
      detail: 'They disappear from this page at once; Undo brings them back for a few minutes, then they are purged.',
    },
    async () => matched(await api.post('/dead-letters/groups/{fingerprint}/discard', { path, body: { dryRun: true } })),
    async () => {
      const answer = await api.post('/dead-letters/groups/{fingerprint}/discard', { path, body: {} });
      refresh();
      if (!('discardId' in answer)) return 0;
      if (selected) onSelect(null);
      onDiscarded(answer);
      return answer.discarded;
    },
    report,
  );

  return (
    <tr data-fingerprint={group.fingerprint} aria-selected={selected} className={selected ? 'row-selected' : undefined}>
      <td>
        <strong data-testid="group-count">{formatNumber(group.count)}</strong>
        <br />
        <span className="muted">{formatNumber(group.pending)} not replayed</span>
      </td>
      <td>
        <span className="mono">{group.queue}</span>
        <br />
        {group.jobName}
      </td>
      <td className="reason">
        {group.error}
        {group.topFrame ? (
          <>
            <br />
            <span className="mono muted">at {group.topFrame}</span>
          </>
        ) : null}
        <br />
        <span className="muted">
          Latest:{' '}
          <Link className="mono" href={PAGES.job(group.sample.jobId)}>
            {group.sample.jobId}
          </Link>
        </span>
      </td>
      <td>
        {formatDateTime(group.firstSeen)}
        <br />
        {formatDateTime(group.lastSeen)}
      </td>
      <td>
        <div className="row-actions">
          <button type="button" className="button button-small" aria-pressed={selected} onClick={() => onSelect(selected ? null : group.fingerprint)}>
            {selected ? 'Show all' : 'Show letters'}
          </button>
          <button type="button" className="button button-small" onClick={replay.start} aria-label={`Replay the ${group.jobName} cause`}>
            Replay all…
          </button>
          <button type="button" className="button button-small" onClick={discard.start} aria-label={`Discard the ${group.jobName} cause`}>
            Discard all…
          </button>
        </div>
        {replay.dialog}
        {discard.dialog}
      </td>
    </tr>
  );
}
