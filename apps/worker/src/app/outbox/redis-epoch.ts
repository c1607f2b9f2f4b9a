/**
 * A marker key that lives in Redis as long as Redis keeps its data: missing means Redis came
 * back empty. While the outbox publishes the lost jobs again it reads "recovering".
 */
export const redisEpochKey = (prefix: string): string => `${prefix}:outbox:redis-epoch`;
export const REDIS_EPOCH_RECOVERING = 'recovering';
/** A recovery that crashed midway is run again by the next relay pass after this. */
export const REDIS_EPOCH_RECOVERY_SECONDS = 300;
