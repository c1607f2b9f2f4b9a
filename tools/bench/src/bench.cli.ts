import { parseArgs } from 'node:util';
import type { DirectOptions } from './direct-messages.types';

/** The default run. */
export const PHASES = ['ceiling', 'direct', 'broadcast', 'sockets', 'ledger'] as const;
/** Only when asked for: a full-size soak takes hours. */
export const EXTRA_PHASES = ['soak'] as const;
export type Phase = (typeof PHASES)[number] | (typeof EXTRA_PHASES)[number];
const KNOWN_PHASES: readonly string[] = [...PHASES, ...EXTRA_PHASES];

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export interface BenchOptions {
  /** Run api + worker ourselves (production mode, own database and queue prefix). */
  start: boolean;
  /** With --start: build api and worker first (Nx cache makes this cheap). */
  build: boolean;
  quick: boolean;
  apiUrl: string;
  workerUrl: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  redis: RedisTarget;
  phases: ReadonlySet<Phase>;
  /** How the bench's senders send (the direct runs judged against the targets, and the soak). */
  transport: 'socket' | 'rest';
  /** Offered rate of the fixed-rate direct run, messages/s. */
  rate: number;
  /** Seconds of sending per direct run. */
  durationSeconds: number;
  /** Requests in flight in the full-speed direct run. */
  concurrency: number;
  /** Sender/recipient pairs (each a direct conversation, both sides connected). */
  pairs: number;
  broadcastRecipients: number;
  broadcastSample: number;
  chunkSize: number;
  sockets: number;
  ceilingJobs: number;
  /** Messages the soak phase sends (accepted), with Redis memory and process RSS sampled. */
  soakMessages: number;
  /** --start only: the api's BATCH_LINGER_MS (undefined: the api's default). */
  batchLingerMs: number | undefined;
  /** --start only: api and worker run with --cpu-prof; the top functions go into the report. */
  profile: boolean;
  /** --start only: the direct runs again on a throwaway 3+3 Redis Cluster, reported next to the single server's. */
  cluster: boolean;
  /** --start only: the apps reach their database through a PgBouncer in transaction mode. */
  pgbouncer: boolean;
  /** --start only: the machine's Postgres (TEST_DATABASE_ADMIN_URL, else 127.0.0.1:5432) instead of a server of the run's own with the expected settings. */
  systemPostgres: boolean;
  /** --start only: the direct runs again with api and worker tracing (OpenTelemetry) to a local discard receiver. */
  tracing: boolean;
  logLevel: string;
  outDir: string;
}

export const USAGE = `npm run bench -- [options]

  --start                run api + worker (built, NODE_ENV=production) with their own database
                         and queue prefix, removed afterwards; otherwise target --api
  --no-build             with --start: use dist/ as it is (default: nx build api worker first)
  --quick                small sizes, under 2 minutes on 2 cores
  --api URL              target api (default $API_URL or http://127.0.0.1:3333)
  --worker URL           target worker, for its /metrics (default: none)
  --admin-email E        admin of the target (default $ADMIN_EMAIL)
  --admin-password P     (default $ADMIN_PASSWORD)
  --redis-host H / --redis-port P / --redis-db N
                         Redis of the target, for the raw Bull ceiling and used_memory
                         (default $REDIS_HOST / $REDIS_PORT / $REDIS_QUEUE_DB)
  --only LIST            phases to run, comma list of ${KNOWN_PHASES.join(', ')}
                         (default ${PHASES.join(',')}; soak only when named or with --soak)
  --send-over T          socket (message:send, default) or rest (POST /messages): the transport of the
                         direct runs judged against the targets and of the soak; the other one gets
                         one full-speed run for comparison
  --rate N               offered rate of the fixed-rate direct run (default 500 msgs/s)
  --duration S           seconds of sending per direct run (default 20, quick 8)
  --concurrency N        sends in flight in the full-speed runs and the soak (default 512, about five per
                         sender: a closed loop with fewer measures the round trip, not what the pipeline carries)
  --batch-linger MS      with --start: the api's BATCH_LINGER_MS (default: the api's own, 8)
  --pairs N              sender/recipient pairs, all connected (default 100, quick 50)
  --broadcast-recipients N   (default 1000000, quick 10000)
  --broadcast-sample N   connected recipients that must receive the broadcast (default 200)
  --chunk-size N         broadcast chunk size, 1..5000 (default 5000)
  --sockets N            sockets to open on one api (default 30000, quick 2000)
  --ceiling-jobs N       no-op Bull jobs for the raw ceiling (default 30000, quick 10000)
  --soak N               messages for the soak phase (default 10000000, quick 10000); without
                         --only it runs the soak alone; Ctrl-C during it stops sending, drains and
                         reports what was sent
  --profile              with --start: CPU-profile api and worker, summarise the hot functions; and per
                         delivered message the Redis commands of each direct run (INFO commandstats) and
                         the top Postgres statements of the socket runs (pg_stat_statements)
  --cluster              with --start: after the direct runs, the same runs with api and worker on a
                         throwaway Redis Cluster (3 masters, 3 replicas), and its key count per master
  --system-postgres      with --start: the machine's Postgres (TEST_DATABASE_ADMIN_URL, else 127.0.0.1:5432)
                         instead of a server of the run's own with the settings README "Postgres settings"
                         asks for (the report names the settings either way)
  --pgbouncer            with --start: api and worker reach Postgres through a PgBouncer of the run's
                         own in transaction mode (DATABASE_POOL_MODE=transaction); its CPU counts as Postgres's
  --tracing              with --start: after the direct runs, the same runs with api and worker tracing
                         (OTEL_EXPORTER_OTLP_ENDPOINT) to a local OTLP receiver that discards the spans:
                         what tracing costs per message, next to the untraced runs
  --log-level L          LOG_LEVEL of the started apps (default info, as in production)
  --out DIR              results directory (default tools/bench/results)
`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer (got "${value}")`);
  return parsed;
}

function lingerOf(value: string | undefined, start: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (!start) throw new Error('--batch-linger needs --start (it configures the api the bench starts)');
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0 || ms > 50) throw new Error(`--batch-linger is 0..50 ms (got "${value}")`);
  return ms;
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv, defaultOutDir: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      start: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      quick: { type: 'boolean' },
      api: { type: 'string' },
      worker: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-password': { type: 'string' },
      'redis-host': { type: 'string' },
      'redis-port': { type: 'string' },
      'redis-db': { type: 'string' },
      only: { type: 'string' },
      'send-over': { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      pairs: { type: 'string' },
      'broadcast-recipients': { type: 'string' },
      'broadcast-sample': { type: 'string' },
      'chunk-size': { type: 'string' },
      sockets: { type: 'string' },
      'ceiling-jobs': { type: 'string' },
      soak: { type: 'string' },
      'batch-linger': { type: 'string' },
      profile: { type: 'boolean' },
      cluster: { type: 'boolean' },
      pgbouncer: { type: 'boolean' },
      'system-postgres': { type: 'boolean' },
      tracing: { type: 'boolean' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const phases = new Set<Phase>();
  // `--soak N` on its own means the soak alone: it is hours long, and the other phases have their own runs.
  const only = values.only ?? (values.soak !== undefined ? 'soak' : PHASES.join(','));
  for (const name of only
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (!KNOWN_PHASES.includes(name)) throw new Error(`--only: unknown phase "${name}" (known: ${KNOWN_PHASES.join(', ')})`);
    phases.add(name as Phase);
  }
  if (values.soak !== undefined && !phases.has('soak')) throw new Error('--soak sizes the soak phase: add soak to --only (or leave --only out)');
  const chunkSize = positiveInt('chunk-size', values['chunk-size'], 5000);
  if (chunkSize > 5000) throw new Error('--chunk-size is at most 5000 (the api refuses more)');
  const start = values.start ?? false;
  if (values.profile && !start) throw new Error('--profile needs --start (the profiled processes must be ours)');
  if (values['system-postgres'] && !start) throw new Error('--system-postgres needs --start (without it the target has its own database)');
  if (values.pgbouncer && !start) throw new Error('--pgbouncer needs --start (the bench starts the pooler and the apps behind it)');
  if (values.tracing && !start) throw new Error('--tracing needs --start (the bench starts the traced apps)');
  if (values.cluster && !start) throw new Error('--cluster needs --start (the bench starts the cluster and the apps on it)');
  const transport = values['send-over'] ?? 'socket';
  if (transport !== 'socket' && transport !== 'rest') throw new Error(`--send-over is socket or rest (got "${transport}")`);
  return {
    start,
    build: !(values['no-build'] ?? false),
    quick,
    apiUrl: (values.api ?? env['API_URL'] ?? 'http://127.0.0.1:3333').replace(/\/+$/, ''),
    workerUrl: values.worker?.replace(/\/+$/, ''),
    adminEmail: values['admin-email'] ?? env['ADMIN_EMAIL'],
    adminPassword: values['admin-password'] ?? env['ADMIN_PASSWORD'],
    redis: {
      host: values['redis-host'] ?? env['REDIS_HOST'] ?? '127.0.0.1',
      port: positiveInt('redis-port', values['redis-port'] ?? env['REDIS_PORT'], 6379),
      db: Number(values['redis-db'] ?? env['REDIS_QUEUE_DB'] ?? 0),
      username: env['REDIS_USERNAME'] || undefined,
      password: env['REDIS_PASSWORD'] || undefined,
    },
    phases,
    transport,
    rate: positiveInt('rate', values.rate, 500),
    durationSeconds: positiveInt('duration', values.duration, quick ? 8 : 20),
    concurrency: positiveInt('concurrency', values.concurrency, 512),
    pairs: positiveInt('pairs', values.pairs, quick ? 50 : 100),
    broadcastRecipients: positiveInt('broadcast-recipients', values['broadcast-recipients'], quick ? 10_000 : 1_000_000),
    broadcastSample: positiveInt('broadcast-sample', values['broadcast-sample'], 200),
    chunkSize,
    sockets: positiveInt('sockets', values.sockets, quick ? 2_000 : 30_000),
    ceilingJobs: positiveInt('ceiling-jobs', values['ceiling-jobs'], quick ? 10_000 : 30_000),
    soakMessages: positiveInt('soak', values.soak, quick ? 10_000 : 10_000_000),
    batchLingerMs: lingerOf(values['batch-linger'], start),
    profile: values.profile ?? false,
    cluster: values.cluster ?? false,
    pgbouncer: values.pgbouncer ?? false,
    systemPostgres: values['system-postgres'] ?? false,
    tracing: values.tracing ?? false,
    logLevel: values['log-level'] ?? 'info',
    outDir: values.out ?? defaultOutDir,
  };
}

/** The direct runs' options from the command line; where they run (processes to sample, Redis, database) is the caller's. */
export function directOptionsFrom(options: BenchOptions, cores: number, where: Pick<DirectOptions, 'cpuSubjects' | 'redis' | 'databaseUrl'>): DirectOptions {
  return {
    transport: options.transport,
    warmupSeconds: options.quick ? 3 : 5,
    pairs: options.pairs,
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    concurrency: options.concurrency,
    cores,
    ...where,
  };
}
