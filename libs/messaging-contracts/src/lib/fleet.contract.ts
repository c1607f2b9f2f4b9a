/** A worker process as its last heartbeat described it. `GET /workers` (operator, admin) lists them. */
export interface WorkerProcess {
  /** `<host>:<pid>:<start time>`: one per process run. */
  id: string;
  host: string;
  pid: number;
  /** APP_VERSION of the process (`dev` when unset). */
  version: string;
  queues: { name: string; concurrency: number }[];
  startedAt: string;
  lastHeartbeatAt: string;
  /** How often it beats; it is `lost` after three missed beats. */
  heartbeatIntervalMs: number;
  status: 'alive' | 'lost';
  /** Jobs it finished since it started, and per second over its last heartbeat interval. */
  jobsCompleted: number;
  jobsFailed: number;
  jobsPerSecond: number;
  rssBytes: number;
}

/** One Redis server as `INFO` describes it. */
export interface RedisNodeReport {
  address: string;
  role: 'master' | 'replica';
  version: string;
  usedMemoryBytes: number;
  peakMemoryBytes: number;
  /** `mem_fragmentation_ratio`. */
  fragmentationRatio: number;
  connectedClients: number;
  /** Replicas attached to this node (a master's `connected_slaves`). */
  connectedReplicas: number;
  opsPerSecond: number;
  /** Null when the server refuses CONFIG (some managed services do). */
  maxmemoryPolicy: string | null;
  /** Why an operator should look: an eviction policy other than `noeviction` loses jobs. */
  warnings: string[];
}

/** `GET /redis` (admin) -> 200: the server, or each master of a cluster, and the jobs each queue holds. */
export interface RedisReport {
  mode: 'single' | 'cluster' | 'sentinel';
  nodes: RedisNodeReport[];
  /** Jobs held per queue (every state), by queue name. */
  jobsPerQueue: Record<string, number>;
}

/** A repeatable job: `GET /schedules` (admin) lists them, active and paused. */
export interface ScheduledJob {
  /** Bull's key of the schedule (name, id, time zone, pattern): what pause, resume and run take. */
  key: string;
  queue: string;
  name: string;
  cron: string | null;
  timeZone: string | null;
  status: 'active' | 'paused';
  /** Null while paused. */
  nextRunAt: string | null;
  lastRun: { jobId: string; state: 'completed' | 'failed'; finishedAt: string; failedReason: string | null } | null;
}

/** `POST /schedules/{pause,resume,run}` (admin) body. */
export interface ScheduleActionRequest {
  key: string;
}

/** One minute of real traffic: messages sent and the send -> receive latency of the deliveries acknowledged in it. */
export interface TrafficMinute {
  /** The minute's start. */
  at: string;
  messages: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * `GET /traffic` (operator, admin) -> 200: the dashboard's headline over the last hour. Send ->
 * receive is from a message's acceptance (or its scheduled time) to the recipient's device
 * acknowledging it, as the workers measure it.
 */
export interface TrafficSummary {
  windowSeconds: number;
  messages: number;
  /** Messages over the seconds of the window that had traffic (from its first minute with any, to now). */
  messagesPerSecond: number;
  /** Deliveries acknowledged by a device: the latency's sample size. */
  deliveries: number;
  p50Ms: number | null;
  p99Ms: number | null;
  minutes: TrafficMinute[];
}
