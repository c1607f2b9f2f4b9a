import type { WorkerProcess } from '@mq/messaging-contracts';
import type { RedisConnection } from './bull-connection.factory';
import { workerRegistryKey } from './redis-keys';

/** What a worker says about itself on each beat (times in epoch ms). */
export type WorkerBeat = Omit<WorkerProcess, 'status' | 'startedAt' | 'lastHeartbeatAt'> & { startedAt: number; lastHeartbeatAt: number };

/** Beats missed before a worker counts as lost. */
export const LOST_AFTER_BEATS = 3;
/** A lost worker stays listed this long, then is forgotten. */
export const FORGET_LOST_AFTER_MS = 60 * 60_000;

/**
 * Which worker processes exist: each writes its heartbeat into one Redis hash (a field per
 * process) and removes it when it stops cleanly; a process that dies without stopping stays,
 * shown `lost` once it has missed three beats, until it is forgotten an hour later.
 */
export class WorkerRegistry {
  private readonly key: string;

  constructor(
    private readonly redis: RedisConnection,
    prefix: string,
  ) {
    this.key = workerRegistryKey(prefix);
  }

  async beat(beat: WorkerBeat): Promise<void> {
    await this.redis.hset(this.key, beat.id, JSON.stringify(beat));
  }

  async remove(id: string): Promise<void> {
    await this.redis.hdel(this.key, id);
  }

  /** Every worker, alive ones first, each group by host and pid; forgets those lost for an hour. */
  async list(now = Date.now()): Promise<WorkerProcess[]> {
    const fields = await this.redis.hgetall(this.key);
    const workers: WorkerProcess[] = [];
    const forgotten: string[] = [];
    for (const [id, json] of Object.entries(fields)) {
      const beat = parseBeat(json);
      if (!beat || now - beat.lastHeartbeatAt > FORGET_LOST_AFTER_MS) {
        forgotten.push(id);
        continue;
      }
      const lost = now - beat.lastHeartbeatAt > LOST_AFTER_BEATS * beat.heartbeatIntervalMs;
      workers.push({
        ...beat,
        startedAt: new Date(beat.startedAt).toISOString(),
        lastHeartbeatAt: new Date(beat.lastHeartbeatAt).toISOString(),
        status: lost ? 'lost' : 'alive',
      });
    }
    if (forgotten.length > 0) await this.redis.hdel(this.key, ...forgotten);
    return workers.sort((a, b) => Number(a.status === 'lost') - Number(b.status === 'lost') || a.host.localeCompare(b.host) || a.pid - b.pid);
  }
}

function parseBeat(json: string): WorkerBeat | undefined {
  try {
    const beat = JSON.parse(json) as WorkerBeat;
    return typeof beat.lastHeartbeatAt === 'number' && typeof beat.heartbeatIntervalMs === 'number' ? beat : undefined;
  } catch {
    return undefined;
  }
}
