import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Alert, AlertSeverity, AlertState } from '@mq/messaging-contracts';

/** What an alert rule found firing, keyed by rule and subject. */
export interface FiringAlertRecord {
  rule: string;
  queue: string | null;
  dedupeKey: string;
  severity: AlertSeverity;
  message: string;
  value: number;
  threshold: number;
}

/** An open alert as far as deciding what to open, refresh or resolve needs it. */
export interface OpenAlertKey {
  id: string;
  rule: string;
  dedupeKey: string;
}

type AlertRow = Omit<Alert, 'openedAt' | 'lastSeenAt' | 'resolvedAt'> & { openedAt: Date; lastSeenAt: Date; resolvedAt: Date | null };

const ALERT_COLUMNS = `id, rule, queue, status, severity, message, value, threshold,
  opened_at AS "openedAt", last_seen_at AS "lastSeenAt", resolved_at AS "resolvedAt"`;

function toAlert(row: AlertRow): Alert {
  return { ...row, openedAt: row.openedAt.toISOString(), lastSeenAt: row.lastSeenAt.toISOString(), resolvedAt: row.resolvedAt?.toISOString() ?? null };
}

/**
 * The `alerts` table: the worker's rules open, refresh and resolve rows; operators list them.
 * The partial unique index on dedupe_key (open rows only) makes "one open alert per rule and
 * subject" hold even when two workers race to open the same one.
 */
@Injectable()
export class AlertRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Newest first, at most `limit`. */
  async list(state: AlertState | undefined, limit: number): Promise<Alert[]> {
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ($1::text IS NULL OR status = $1) ORDER BY opened_at DESC, id DESC LIMIT $2`,
      [state ?? null, limit],
    );
    return rows.map(toAlert);
  }

  async openKeys(): Promise<OpenAlertKey[]> {
    const rows: { id: string; rule: string; dedupe_key: string }[] = await this.dataSource.query(
      `SELECT id, rule, dedupe_key FROM alerts WHERE status = 'open'`,
    );
    return rows.map((row) => ({ id: row.id, rule: row.rule, dedupeKey: row.dedupe_key }));
  }

  /** The new alert, or undefined when one with its key is already open (another worker opened it). */
  async open(alert: FiringAlertRecord): Promise<Alert | undefined> {
    const rows: AlertRow[] = await this.dataSource.query(
      `INSERT INTO alerts (rule, queue, dedupe_key, severity, message, value, threshold)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (dedupe_key) WHERE status = 'open' DO NOTHING
       RETURNING ${ALERT_COLUMNS}`,
      [alert.rule, alert.queue, alert.dedupeKey, alert.severity, alert.message, alert.value, alert.threshold],
    );
    return rows[0] && toAlert(rows[0]);
  }

  /** A rule still firing: its open alert takes the latest figures. */
  async refresh(alert: FiringAlertRecord): Promise<void> {
    await this.dataSource.query(
      `UPDATE alerts SET value = $2, message = $3, severity = $4, threshold = $5, last_seen_at = now()
       WHERE dedupe_key = $1 AND status = 'open'`,
      [alert.dedupeKey, alert.value, alert.message, alert.severity, alert.threshold],
    );
  }

  /** The resolved alert, or undefined when it was no longer open (resolved by another worker). */
  async resolve(id: string): Promise<Alert | undefined> {
    const [rows]: [AlertRow[], number] = await this.dataSource.query(
      `UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE id = $1 AND status = 'open' RETURNING ${ALERT_COLUMNS}`,
      [id],
    );
    return rows[0] && toAlert(rows[0]);
  }
}
