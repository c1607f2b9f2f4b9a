import { Controller, Get, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Alert, AlertSeverity, AlertState } from '@mq/messaging-contracts';
import { Roles } from '../auth/auth.decorators';
import { ListAlertsQueryDto } from './monitoring.dto';

/** Resolved alerts accumulate: a list is bounded to the newest this many. */
const MAX_ALERTS = 500;

interface AlertRow {
  id: string;
  rule: string;
  queue: string | null;
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

/** `GET /alerts?state=open|resolved`: what the worker's alert rules raised, newest first. */
@Controller('alerts')
@Roles('admin')
export class AlertsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async list(@Query() query: ListAlertsQueryDto): Promise<Alert[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, rule, queue, status, severity, message, value, threshold, opened_at, last_seen_at, resolved_at
       FROM alerts WHERE ($1::text IS NULL OR status = $1) ORDER BY opened_at DESC, id DESC LIMIT $2`,
      [query.state ?? null, MAX_ALERTS],
    )) as AlertRow[];
    return rows.map(toAlert);
  }
}
