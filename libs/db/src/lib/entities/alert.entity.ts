import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { enumCheck } from '../enum-check.helper';

export const ALERT_STATUSES = Object.freeze(['open', 'resolved'] as const);
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const ALERT_SEVERITIES = Object.freeze(['warning', 'critical'] as const);
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

@Entity({ name: 'alerts' })
@Check('chk_alerts_status', enumCheck('status', ALERT_STATUSES))
@Check('chk_alerts_severity', enumCheck('severity', ALERT_SEVERITIES))
// At most one open alert per rule and subject: a rule still firing updates last_seen_at
// instead of opening another; once resolved, the same key may open again.
@Index('uq_alerts_dedupe_key_open', ['dedupeKey'], { unique: true, where: `"status" = 'open'` })
export class AlertEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  rule!: string;

  @Column({ type: 'text', nullable: true })
  queue!: string | null;

  @Column({ type: 'text' })
  dedupeKey!: string;

  @Column({ type: 'text', default: 'open' })
  status!: AlertStatus;

  @Column({ type: 'text' })
  severity!: AlertSeverity;

  @Column({ type: 'text' })
  message!: string;

  @Column({ type: 'double precision' })
  value!: number;

  @Column({ type: 'double precision' })
  threshold!: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  openedAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  lastSeenAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}
