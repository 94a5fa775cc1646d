import { TEST_REDIS_URL } from '@sm/testing';

/** Answers nothing on loopback: a worker given it as GHL or the auth service reaches neither. */
export const UNREACHABLE_URL = 'http://127.0.0.1:9';

/** What a spec must say about the worker it starts; the rest has a test default. */
export interface WorkerEnvSetup {
  databaseUrl: string;
  queuePrefix: string;
  serviceToken: string;
  redisUrl?: string;
  /** The GHL API (a sandbox, a fake); unreachable when not given. */
  ghlUrl?: string;
  /** The auth service's token endpoint; unreachable when not given. */
  authUrl?: string;
  /** `PORT`: 0 lets the worker pick a free one. */
  port?: number;
}

/**
 * The sync worker's environment for a test, loopback only: the spec's own settings (`env`) go
 * over these defaults, logging at `silent` among them.
 */
export function workerEnv(
  setup: WorkerEnvSetup,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: setup.databaseUrl,
    REDIS_URL: setup.redisUrl ?? TEST_REDIS_URL,
    QUEUE_PREFIX: setup.queuePrefix,
    HOST: '127.0.0.1',
    PORT: String(setup.port ?? 0),
    LOG_LEVEL: 'silent',
    GHL_API_BASE_URL: setup.ghlUrl ?? UNREACHABLE_URL,
    AUTH_SERVICE_URL: setup.authUrl ?? UNREACHABLE_URL,
    SERVICE_TOKEN: setup.serviceToken,
    ...env,
  };
}
