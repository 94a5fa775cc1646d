import { Redis } from 'ioredis';
import { Client } from 'pg';

import { ensureDatabaseExists, runMigrations } from '@sm/entities';

import { demoDatabaseName, maintenanceUrl, QUEUE_LOCK_KEY } from './demo-lock';
import { DemoRefusedError } from './demo-refused.error';

/** Postgres's object_in_use: DROP DATABASE found a session on it. */
const OBJECT_IN_USE = '55006';

/** Refuses a demo database someone is connected to, before anything is reset. */
export async function assertDatabaseIdle(databaseUrl: string): Promise<void> {
  const admin = new Client({ connectionString: maintenanceUrl(databaseUrl) });
  await admin.connect();
  try {
    await refuseSessions(admin, demoDatabaseName(databaseUrl));
  } finally {
    await admin.end();
  }
}

/**
 * Drops and recreates the demo database, then migrates it. A database someone is connected to
 * (a demo of another clone, a service left running, a psql) is refused, not cut off: the drop
 * has no FORCE, and a session that arrives after the check fails the drop the same way.
 *
 * TODO: a database nobody is connected to is dropped whatever it holds; nothing marks a database
 * as the demo's, so a DEMO_DATABASE_URL naming a real one would still lose it.
 */
export async function resetDemoDatabase(databaseUrl: string): Promise<void> {
  const name = demoDatabaseName(databaseUrl);
  const admin = new Client({ connectionString: maintenanceUrl(databaseUrl) });
  await admin.connect();
  try {
    await refuseSessions(admin, name);
    await admin.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}"`).catch((error) => {
      if ((error as { code?: string }).code === OBJECT_IN_USE) throw sessionsRefusal(name, []);
      throw error;
    });
  } finally {
    await admin.end();
  }
  await ensureDatabaseExists(databaseUrl);
  await runMigrations(databaseUrl);
}

async function refuseSessions(admin: Client, name: string): Promise<void> {
  const { rows } = await admin.query<{ pid: number; application_name: string }>(
    `SELECT pid, application_name FROM pg_stat_activity
      WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`,
    [name],
  );
  if (rows.length > 0) throw sessionsRefusal(name, rows);
}

function sessionsRefusal(
  name: string,
  sessions: { pid: number; application_name: string }[],
): DemoRefusedError {
  const listed = sessions.map((s) => `backend ${s.pid} "${s.application_name}"`).join(', ');
  const count = sessions.length ? `${sessions.length} session(s): ${listed}` : 'a new session';

  return new DemoRefusedError(
    `database ${name} has other sessions connected (${count}); the demo drops it on every ` +
      'start and will not cut them off, so nothing was reset. Close them (a demo or service ' +
      'still running?), or give this demo a database of its own with DEMO_DATABASE_URL',
  );
}

/** Drops the demo's BullMQ keys (and only those: other stacks may share this Redis). */
export async function clearDemoQueues(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const lockKey = `${prefix}:${QUEUE_LOCK_KEY}`;
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      const keys = found.filter((key) => key !== lockKey);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
