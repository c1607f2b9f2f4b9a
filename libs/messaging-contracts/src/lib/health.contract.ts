/** One dependency's check in `GET /health`. */
export interface HealthCheck {
  status: 'up' | 'down';
  latencyMs: number;
  /** A short reason ('timeout', 'unreachable'); details go to the log, not to anonymous callers. */
  error?: string;
}

/** `GET /health` -> 200, or 503 with the failing check. No auth. */
export interface HealthResponse {
  status: 'ok' | 'error';
  checks: {
    postgres: HealthCheck;
    redis: HealthCheck;
  };
}
