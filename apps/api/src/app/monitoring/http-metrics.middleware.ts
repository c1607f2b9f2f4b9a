import { Injectable, NestMiddleware } from '@nestjs/common';
import { MetricsService } from '@mq/observability';

/** The parts of Express's request and response used here. */
interface RoutedRequest {
  method: string;
  /** Set by the router once a route matched; `path` is its pattern (`/messages/:id`). */
  route?: { path?: unknown };
}

interface FinishingResponse {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}

/**
 * Times every HTTP request into `mq_http_request_duration_seconds`, labelled by the route
 * pattern rather than the URL (ids would make a series per request). A middleware rather
 * than an interceptor, so 401/403 from the guard and 404s are measured too.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware<RoutedRequest, FinishingResponse> {
  constructor(private readonly metrics: MetricsService) {}

  use(req: RoutedRequest, res: FinishingResponse, next: () => void): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const pattern = req.route?.path;
      this.metrics.observeHttpRequest({
        method: req.method,
        // Nest mounts catch-all middleware (this one, the logger's) as wildcard routes: such a
        // pattern left on the request means no controller route matched.
        route: typeof pattern === 'string' && !pattern.includes('*') ? pattern : 'unmatched',
        status: res.statusCode,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
    next();
  }
}
