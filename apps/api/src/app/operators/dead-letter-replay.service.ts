import { Injectable, NotFoundException } from '@nestjs/common';
import type { DeadLetter } from '@mq/messaging-contracts';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '@mq/queue';
import { JobName, isJobName, isQueueName, validateJobPayload } from '@mq/queue-contracts';
import { AuditLogRepository, DeadLetterRepository } from '@mq/db';
import { OutboxPublisher, type StageEntry } from '@mq/messaging';
import { JobHistoryWriter } from './job-history.writer';

type AuditEntry = Parameters<AuditLogRepository['record']>[0];

/** Letters replayed per round of a group replay: one outbox transaction and one publish each. */
const GROUP_CHUNK = 200;

/**
 * Runs dead letters again. If Bull still holds the failed job it is retried in place (same id);
 * otherwise a new job with the same payload is staged in the outbox with the letter's replay
 * mark (and, for one letter, the audit entry) in one transaction, and published after commit
 * (or by the relay). Processors are idempotent, so a replay never delivers a message twice.
 */
@Injectable()
export class DeadLetterReplayService {
  constructor(
    private readonly deadLetters: DeadLetterRepository,
    private readonly queues: QueueRegistry,
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxPublisher,
    private readonly audit: AuditLogRepository,
    private readonly history: JobHistoryWriter,
  ) {}

  /** One letter, audited as `dead-letter.replay`; returns the job it runs as. */
  async replayOne(actorId: string, letter: DeadLetter): Promise<string> {
    const audited = (jobId: string) => ({ actorId, action: 'dead-letter.replay', target: letter.jobId, count: 1, detail: { deadLetterId: letter.id, jobId } });
    const [jobId] = await this.replay([letter], (jobId) => [audited(jobId)]);
    if (!jobId) throw new NotFoundException(`Dead letter ${letter.id} names an unknown queue or job`);
    return jobId;
  }

  /**
   * Every letter of the group not replayed yet, oldest first, in rounds of GROUP_CHUNK; audited
   * once as `dead-letter.replay-group` with the count. Letters that arrive meanwhile are left
   * for a later replay: no more are run than the dry run counted.
   */
  async replayGroup(actorId: string, fingerprint: string): Promise<number> {
    const matched = await this.deadLetters.countGroup(fingerprint, true);
    let replayed = 0;
    while (replayed < matched) {
      const letters = await this.deadLetters.pendingInGroup(fingerprint, Math.min(GROUP_CHUNK, matched - replayed));
      if (letters.length === 0) break;
      const jobIds = await this.replay(letters, () => []);
      replayed += jobIds.length;
      // A round that replayed nothing (unknown queue or job names) would be read again forever.
      if (jobIds.length === 0) break;
    }
    // Nothing replayed (all done before): nothing happened to audit.
    if (replayed > 0)
      await this.audit.record({ actorId, action: 'dead-letter.replay-group', target: fingerprint, count: replayed, detail: { fingerprint, matched } });
    return replayed;
  }

  /** Returns the job id each replayable letter now runs as; letters naming an unknown queue or job are skipped. */
  private async replay(letters: readonly DeadLetter[], auditOf: (jobId: string) => AuditEntry[]): Promise<string[]> {
    const replayed: { letter: DeadLetter; jobId: string }[] = [];
    const toStage: { letter: DeadLetter; name: JobName }[] = [];
    for (const letter of letters) {
      if (!isQueueName(letter.queue) || !isJobName(letter.jobName)) continue;
      const existing = await this.queues.get(letter.queue).getJob(letter.jobId);
      if (existing && (await existing.getState()) === 'failed') {
        await existing.retry();
        await this.deadLetters.markReplayed(letter.id, letter.jobId);
        for (const entry of auditOf(letter.jobId)) await this.audit.record(entry);
        replayed.push({ letter, jobId: letter.jobId });
      } else {
        toStage.push({ letter, name: letter.jobName });
      }
    }
    if (toStage.length > 0) {
      const at = Date.now();
      const staged = await this.dataSource.transaction(async (manager) => {
        const jobs = await this.outbox.stageAll(
          manager,
          toStage.map(
            ({ letter, name }) => ({ name, payload: validateJobPayload(name, letter.data), options: { jobId: `${letter.jobId}:replay-${at}` } }) as StageEntry,
          ),
        );
        // stageAll answers in the order it was given.
        const pairs = toStage.flatMap(({ letter }, i) => (jobs[i] ? [{ letter, job: jobs[i] }] : []));
        for (const { letter, job } of pairs) {
          await this.deadLetters.markReplayed(letter.id, job.jobId, manager);
          for (const entry of auditOf(job.jobId)) await this.audit.record(entry, manager);
        }
        return pairs;
      });
      await this.outbox.publish(staged.map(({ job }) => job));
      replayed.push(...staged.map(({ letter, job }) => ({ letter, jobId: job.jobId })));
    }
    await this.history.retried(replayed.map(({ letter, jobId }) => ({ queue: letter.queue, jobId, jobName: letter.jobName, data: letter.data })));
    return replayed.map(({ jobId }) => jobId);
  }
}
