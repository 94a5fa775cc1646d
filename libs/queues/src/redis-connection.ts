import type { RedisOptions } from 'ioredis';

/**
 * ioredis options from a redis:// URL. `maxRetriesPerRequest: null` is what BullMQ workers
 * require: a command waits for Redis to come back instead of failing the job.
 */
export function redisOptionsFromUrl(redisUrl: string): RedisOptions {
  const url = new URL(redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;

  return {
    // An IPv6 literal keeps its brackets in a URL's hostname (`[::1]`), which ioredis would look
    // up as a name, failing and retrying for good.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}
