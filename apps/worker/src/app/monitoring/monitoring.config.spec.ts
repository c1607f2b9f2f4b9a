import { ConfigError } from '@mq/config';
import { loadWorkerConfig } from '../worker.config';

describe('monitoring configuration', () => {
  it('samples every 10 s with the documented alert thresholds, beats every 5 s, and has no webhook by default', () => {
    expect(loadWorkerConfig({}).monitoring).toEqual({
      sampleIntervalMs: 10_000,
      alerts: { failureRatePercent: 20, failureWindowMinutes: 5, failureMinJobs: 20, backlog: 10_000, oldestWaitingSeconds: 300 },
      webhookUrl: undefined,
      heartbeatIntervalMs: 5_000,
      appVersion: 'dev',
    });
    expect(loadWorkerConfig({ ALERT_WEBHOOK_URL: '', APP_VERSION: '' }).monitoring.appVersion).toBe('dev');
    expect(loadWorkerConfig({ ALERT_WEBHOOK_URL: '' }).monitoring.webhookUrl).toBeUndefined();
    expect(loadWorkerConfig({ ALERT_WEBHOOK_URL: 'https://hooks.example.org/a?token=x', ALERT_BACKLOG: '5' }).monitoring).toMatchObject({
      webhookUrl: 'https://hooks.example.org/a?token=x',
      alerts: { backlog: 5 },
    });
  });

  it('names a bad webhook URL without echoing it, and refuses a too-fast sample interval', () => {
    try {
      loadWorkerConfig({ ALERT_WEBHOOK_URL: 'ftp://secret-token@hooks', METRICS_SAMPLE_INTERVAL_MS: '10' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/ALERT_WEBHOOK_URL: must use http or https/);
      expect(message).toMatch(/METRICS_SAMPLE_INTERVAL_MS/);
      expect(message).not.toContain('secret-token');
    }
  });
});
