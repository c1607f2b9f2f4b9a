import type { CursorQuery } from './operator.contract';

/** A job that exhausted its attempts: `GET /dead-letters` -> 200 DeadLetter[]. */
export interface DeadLetter {
  id: string;
  queue: string;
  jobId: string;
  jobName: string;
  data: Record<string, unknown>;
  failedReason: string;
  stacktrace: string | null;
  attemptsMade: number;
  failedAt: string;
  replayedAt: string | null;
  replayJobId: string | null;
  /** Its cause: job name + error with ids, numbers and timestamps stripped + top stack frame, hashed. */
  fingerprint: string;
}

/** `GET /dead-letters?fingerprint=`: one group's letters only. */
export interface DeadLetterListQuery extends CursorQuery {
  fingerprint?: string;
}

/** `POST /dead-letters/:id/replay` -> 202: the job it was put back as. */
export interface DeadLetterReplayResponse {
  jobId: string;
}

/** `GET /dead-letters/groups` -> 200 DeadLetterGroup[]: live dead letters by cause, latest first. */
export interface DeadLetterGroup {
  fingerprint: string;
  queue: string;
  jobName: string;
  /** The error's first line, normalised: what every letter of the group has in common. */
  error: string;
  /** Where it was thrown (function and file), when a stack was kept. */
  topFrame: string | null;
  count: number;
  /** Letters not replayed yet: what a group replay would run. */
  pending: number;
  firstSeen: string;
  lastSeen: string;
  /** The latest letter of the group. */
  sample: DeadLetter;
}

/** `POST /dead-letters/groups/:fingerprint/replay` -> 202: the group's pending letters, run again. */
export interface DeadLetterGroupReplayResponse {
  replayed: number;
}

/**
 * `POST /dead-letters/groups/:fingerprint/discard` -> 200: hidden at once, restorable with
 * `POST /dead-letters/discards/:discardId/restore` until `undoUntil`, purged afterwards.
 */
export interface DeadLetterDiscardResponse {
  discarded: number;
  discardId: string;
  undoUntil: string;
}

/** `POST /dead-letters/discards/:discardId/restore` -> 200. */
export interface DeadLetterRestoreResponse {
  restored: number;
}
