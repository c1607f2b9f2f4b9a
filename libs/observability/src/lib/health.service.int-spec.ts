import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';
import { DynamicModule, Logger, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DatabaseProbe, createDataSourceOptions } from '@mq/db';
import { DEFAULT_TEST_DATABASE_ADMIN_URL } from '@mq/db/testing';
import { BullConnectionFactory } from '@mq/queue';
import { testQueueConfig } from '@mq/queue/testing';
import { HealthService } from './health.service';
import { MetricsService } from './metrics.service';
import { ObservabilityModule } from './observability.module';

const POSTGRES_URL = new URL(process.env['TEST_DATABASE_ADMIN_URL'] || DEFAULT_TEST_DATABASE_ADMIN_URL);

/** A TCP server on a spare port that keeps its sockets, so they can be cut when it closes. */
async function listen(onSocket: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts connections and never answers: a Redis or Postgres that hangs. */
const hungServer = () => listen(() => undefined);

/** Forwards to the real Postgres until closed: then it is gone, as if Postgres had stopped. */
const postgresForwarder = () =>
  listen((client) => {
    const upstream = connect(Number(POSTGRES_URL.port || 5432), POSTGRES_URL.hostname);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });

function postgresUrlOnPort(port: number): string {
  const url = new URL(POSTGRES_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** HealthService wired as in the apps (ObservabilityModule and terminus), on the given dependencies. */
async function bootHealth(dataSource: DataSource, connections: BullConnectionFactory): Promise<TestingModule> {
  @Module({})
  class DependenciesModule {}
  const dependencies: DynamicModule = {
    module: DependenciesModule,
    global: true,
    providers: [
      { provide: DatabaseProbe, useValue: new DatabaseProbe(dataSource) },
      { provide: BullConnectionFactory, useValue: connections },
    ],
    exports: [DatabaseProbe, BullConnectionFactory],
  };
  const moduleRef = await Test.createTestingModule({
    imports: [dependencies, ObservabilityModule.forRoot({ logging: { service: 'test', level: 'silent', format: 'json' } })],
  })
    // Not under test, and it would want the queues.
    .overrideProvider(MetricsService)
    .useValue({})
    .compile();
  return moduleRef.init();
}

describe('HealthService (terminus) against real and broken Postgres and Redis', () => {
  let forwarder: Awaited<ReturnType<typeof postgresForwarder>>;
  let hung: Awaited<ReturnType<typeof hungServer>>;
  let dataSource: DataSource;
  let redis: BullConnectionFactory;
  let hungRedis: BullConnectionFactory;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeAll(async () => {
    forwarder = await postgresForwarder();
    hung = await hungServer();
    dataSource = await new DataSource(
      createDataSourceOptions({ url: postgresUrlOnPort(forwarder.port), poolSize: 2, applicationName: 'health-spec', logging: false }),
    ).initialize();
    redis = new BullConnectionFactory(testQueueConfig(), 'fail-fast');
    hungRedis = new BullConnectionFactory(testQueueConfig(undefined, { port: hung.port }), 'fail-fast');
  });

  afterAll(async () => {
    await redis?.closeAll();
    await hungRedis?.closeAll();
    await dataSource?.destroy().catch(() => undefined);
    await hung?.close();
    await forwarder?.close();
  });

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers ok with each latency when both are up, in the contract shape and nothing more', async () => {
    const moduleRef = await bootHealth(dataSource, redis);
    const report = await moduleRef.get(HealthService).check();
    await moduleRef.close();

    expect(report).toEqual({
      status: 'ok',
      checks: { postgres: { status: 'up', latencyMs: expect.any(Number) }, redis: { status: 'up', latencyMs: expect.any(Number) } },
    });
    expect(Object.keys(report)).toEqual(['status', 'checks']);
    expect(Object.keys(report.checks.postgres)).toEqual(['status', 'latencyMs']);
    expect(report.checks.postgres.latencyMs).toBeGreaterThanOrEqual(0);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  it('answers down (timeout) for a Redis that accepts and never answers, within about 1.5 s', async () => {
    const moduleRef = await bootHealth(dataSource, hungRedis);
    const started = performance.now();
    const report = await moduleRef.get(HealthService).check();
    const elapsed = performance.now() - started;
    await moduleRef.close();

    expect(report).toEqual({
      status: 'error',
      checks: { postgres: { status: 'up', latencyMs: expect.any(Number) }, redis: { status: 'down', latencyMs: expect.any(Number), error: 'timeout' } },
    });
    expect(Object.keys(report.checks.redis)).toEqual(['status', 'latencyMs', 'error']);
    expect(elapsed).toBeGreaterThanOrEqual(1_450);
    expect(elapsed).toBeLessThan(3_500);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ check: 'redis' }), 'health check failed');
    // Terminus's own multi-line error dump stays off.
    expect(error).not.toHaveBeenCalled();
  });

  it('answers error with Postgres down (unreachable) once it is gone, the reason in the log only', async () => {
    const moduleRef = await bootHealth(dataSource, redis);
    await forwarder.close();
    const report = await moduleRef.get(HealthService).check();
    await moduleRef.close();

    expect(report).toEqual({
      status: 'error',
      checks: { postgres: { status: 'down', latencyMs: expect.any(Number), error: 'unreachable' }, redis: { status: 'up', latencyMs: expect.any(Number) } },
    });
    expect(report.checks.postgres.latencyMs).toBeLessThan(1_500);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith({ check: 'postgres', err: expect.stringMatching(/\S/) }, 'health check failed');
    expect(error).not.toHaveBeenCalled();
  });
});
