import { DataSource, FindOptionsWhere } from 'typeorm';

import { SyncRun } from '@sm/entities';
import { eventually } from '@sm/testing';

/**
 * The first sync run matching `where` that succeeded, once there is one. `tolerateQueryErrors`
 * counts a failing query as "not yet", for tests that stop Postgres under the worker.
 */
export function eventuallySucceededRun(
  dataSource: DataSource,
  where: FindOptionsWhere<SyncRun>,
  timeoutMs: number,
  label: string,
  options: { tolerateQueryErrors?: boolean } = {},
): Promise<SyncRun> {
  const find = () => dataSource.getRepository(SyncRun).findOneBy({ ...where, status: 'succeeded' });

  return eventually(
    async () =>
      (await (options.tolerateQueryErrors ? find().catch(() => null) : find())) ?? undefined,
    timeoutMs,
    label,
  );
}
