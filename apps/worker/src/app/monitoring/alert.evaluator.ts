import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Alert, AlertSeverity, AlertState } from '@mq/messaging-contracts';
import { Assessment, FiringAlert, planAlertChanges } from './alert-rules';
import { AlertNotifier } from './alert.notifier';

interface AlertRow {
  id: string;
  rule: string;
  queue: string | null;
  dedupe_key: string;
  status: AlertState;
  severity: AlertSeverity;
  message: string;
  value: number;
  threshold: number;
  opened_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
}

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    rule: row.rule,
    queue: row.queue,
    status: row.status,
    severity: row.severity,
    message: row.message,
    value: row.value,
    threshold: row.threshold,
    openedAt: row.opened_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
  };
}

/**
 * Keeps the `alerts` table in step with what fires: a condition opens one row (the partial
 * unique index on dedupe_key makes that hold even if two workers race), refreshes it while
 * it holds, and resolves it when it clears. Only an insert or resolve that this call made
 * notifies, so each alert is announced once when it opens and once when it resolves.
 */
@Injectable()
export class AlertEvaluator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly notifier: AlertNotifier,
  ) {}

  async apply(assessment: Assessment): Promise<void> {
    const open = (await this.dataSource.query(`SELECT id, rule, dedupe_key FROM alerts WHERE status = 'open'`)) as Pick<AlertRow, 'id' | 'rule' | 'dedupe_key'>[];
    const plan = planAlertChanges(
      open.map((row) => ({ id: row.id, rule: row.rule, dedupeKey: row.dedupe_key })),
      assessment,
    );
    for (const alert of plan.open) {
      const opened = await this.open(alert);
      if (opened) this.notifier.notify(toAlert(opened));
    }
    for (const alert of plan.refresh) {
      await this.dataSource.query(
        `UPDATE alerts SET value = $2, message = $3, severity = $4, threshold = $5, last_seen_at = now()
         WHERE dedupe_key = $1 AND status = 'open'`,
        [alert.dedupeKey, alert.value, alert.message, alert.severity, alert.threshold],
      );
    }
    for (const { id } of plan.resolve) {
      const [rows] = (await this.dataSource.query(
        `UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE id = $1 AND status = 'open' RETURNING *`,
        [id],
      )) as [AlertRow[], number];
      const resolved = rows[0];
      if (resolved) this.notifier.notify(toAlert(resolved));
    }
  }

  private async open(alert: FiringAlert): Promise<AlertRow | undefined> {
    const rows = (await this.dataSource.query(
      `INSERT INTO alerts (rule, queue, dedupe_key, severity, message, value, threshold)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (dedupe_key) WHERE status = 'open' DO NOTHING
       RETURNING *`,
      [alert.rule, alert.queue, alert.dedupeKey, alert.severity, alert.message, alert.value, alert.threshold],
    )) as AlertRow[];
    return rows[0];
  }
}
