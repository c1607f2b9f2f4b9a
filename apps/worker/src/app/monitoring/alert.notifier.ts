import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Alert } from '@mq/messaging-contracts';
import { SOCKET_EVENTS } from '@mq/messaging-contracts';
import { RealtimeEmitter } from '@mq/messaging';
import { MONITORING_OPTIONS, MonitoringOptions } from './monitoring.config';

/** A slow receiver must not pile up requests: one alert's POST gives up after this. */
const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Tells operators an alert opened or resolved: `alert` on the `/admin` namespace (every api
 * instance relays it to its admins) and, if configured, a JSON POST of the alert row to the
 * webhook. Fire-and-forget: a failing webhook is logged and never delays evaluation.
 */
@Injectable()
export class AlertNotifier {
  private readonly logger = new Logger(AlertNotifier.name);

  constructor(
    private readonly realtime: RealtimeEmitter,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
  ) {}

  notify(alert: Alert): void {
    this.logger.warn({ alertId: alert.id, rule: alert.rule, queue: alert.queue, status: alert.status, value: alert.value }, alert.message);
    this.realtime.toAdmins(SOCKET_EVENTS.ALERT, alert);
    const url = this.options.webhookUrl;
    if (url) void this.post(url, alert);
  }

  private async post(url: string, alert: Alert): Promise<void> {
    // The URL may hold a token: it is never logged.
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) this.logger.warn({ alertId: alert.id, status: response.status }, 'alert webhook refused the alert');
    } catch (error) {
      this.logger.warn({ alertId: alert.id, err: error instanceof Error ? error.message : String(error) }, 'alert webhook unreachable');
    }
  }
}
