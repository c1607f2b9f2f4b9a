import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { HealthService, MetricsService, metricsAllowed } from '@mq/observability';
import { WORKER_CONFIG, WorkerConfig } from './worker.config';

/**
 * The worker's only HTTP: `GET /health` and `GET /metrics` for probes and Prometheus.
 * A bare node server, not a Nest HTTP app: nothing else can be mounted here by accident.
 */
@Injectable()
export class WorkerHttpServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHttpServer.name);
  private server?: Server;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        this.logger.error({ err: error }, 'worker http request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, () => resolve());
    });
    this.logger.log({ port: this.address() }, 'worker health and metrics listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The bound port (useful when configured as 0). */
  address(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return this.json(res, 405, { statusCode: 405, message: 'Only GET is served here', error: 'Method Not Allowed' });
    }
    if (path === '/health') {
      const report = await this.health.check();
      return this.json(res, report.status === 'ok' ? 200 : 503, report);
    }
    if (path === '/metrics') {
      if (!metricsAllowed(req.headers.authorization, this.config.metricsToken)) {
        return this.json(res, 401, { statusCode: 401, message: 'The metrics token is missing or wrong', error: 'Unauthorized', code: 'unauthorized' });
      }
      res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(await this.metrics.render());
      return;
    }
    this.json(res, 404, { statusCode: 404, message: `Cannot ${req.method} ${path}`, error: 'Not Found' });
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  }
}
