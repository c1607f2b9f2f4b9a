import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AccessLedgerRepository } from '@mq/db';
import { WORKER_CONFIG, WorkerConfig } from '../worker.config';

/**
 * Every LEDGER_ANCHOR_INTERVAL_MS, writes the access ledger's head (seq and hash) to the audit
 * log as `ledger.anchor` if the chain has grown since the last anchor: a chain rewritten from
 * some row on, hashes and all, no longer matches its anchor (GET /ledger/verify checks the
 * newest). Every worker runs it; the head's row lock lets one of them write each head once.
 */
@Injectable()
export class LedgerAnchorScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerAnchorScheduler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly ledger: AccessLedgerRepository,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.ledger
        .anchor()
        .then((anchored) => {
          if (anchored) this.logger.log({ seq: anchored.seq }, 'access ledger anchored in the audit log');
        })
        .catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'anchoring the access ledger failed'))
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, this.config.ledgerAnchorIntervalMs);
    this.timer.unref();
  }
}
