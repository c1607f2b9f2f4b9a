import { Injectable } from '@nestjs/common';
import { AlertRepository } from '@mq/db';
import { Assessment, planAlertChanges } from './alert-rules';
import { AlertNotifier } from './alert.notifier';

/**
 * Keeps the `alerts` table in step with what fires: a condition opens one row (the partial
 * unique index on dedupe_key makes that hold even if two workers race), refreshes it while
 * it holds, and resolves it when it clears. Only an insert or resolve that this call made
 * notifies, so each alert is announced once when it opens and once when it resolves.
 */
@Injectable()
export class AlertEvaluator {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly notifier: AlertNotifier,
  ) {}

  async apply(assessment: Assessment): Promise<void> {
    const plan = planAlertChanges(await this.alerts.openKeys(), assessment);
    for (const alert of plan.open) {
      const opened = await this.alerts.open(alert);
      if (opened) this.notifier.notify(opened);
    }
    for (const alert of plan.refresh) await this.alerts.refresh(alert);
    for (const { id } of plan.resolve) {
      const resolved = await this.alerts.resolve(id);
      if (resolved) this.notifier.notify(resolved);
    }
  }
}
