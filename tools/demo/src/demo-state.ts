import path from 'node:path';

import { ConfigError } from '@sm/config';

/** A prefix that is also a plain folder name: no separator, no glob character, no dot-dot. */
const SAFE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Where one demo keeps its secrets, the sandbox's webhook keys and its service logs:
 * `tmp/demo/<queue prefix>`. The prefix is held by one demo at a time (see demo-lock), so two
 * demos running side by side never write the same file.
 *
 * TODO: two demos of one clone with the same prefix on two different Redis servers (REDIS_URL)
 * hold two different prefix locks and would share this folder; the folder is not locked itself.
 */
export function demoStateDir(workspaceRoot: string, queuePrefix: string): string {
  if (!SAFE_PREFIX.test(queuePrefix)) {
    throw new ConfigError([
      `DEMO_QUEUE_PREFIX: letters, digits, "-", "_" or "." (it also names the demo's folder ` +
        `under tmp/demo), not "${queuePrefix}"`,
    ]);
  }

  return path.join(workspaceRoot, 'tmp/demo', queuePrefix);
}
