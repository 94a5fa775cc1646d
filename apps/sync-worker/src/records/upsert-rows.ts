import type { EntityManager } from 'typeorm';

import type { RecordRow } from './record-mappers';
import type { RecordTable } from './record-tables';

/** Postgres binds at most 65535 parameters per statement. */
const MAX_PARAMETERS = 65_535;
const MAX_ROWS_PER_STATEMENT = 1_000;

export interface WrittenRow {
  id: string;
  inserted: boolean;
  completedAt?: Date | null;
}

/**
 * Multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE newer`, chunked under the parameter limit.
 * A row is replaced when the incoming version is newer, when it is as new but says something
 * else, or when it was fetched after the stored row was tombstoned (GHL shows it again). A
 * replay of the same version therefore leaves the row untouched. Returns the rows written.
 */
export async function upsertRows(
  manager: EntityManager,
  table: RecordTable,
  rows: RecordRow[],
): Promise<WrittenRow[]> {
  const written: WrittenRow[] = [];
  const chunkSize = Math.min(
    MAX_ROWS_PER_STATEMENT,
    Math.floor(MAX_PARAMETERS / table.columns.length),
  );
  for (const chunk of chunks(latestPerId(rows), chunkSize)) {
    const parameters = chunk.flatMap((row) => table.columns.map((column) => row[column] ?? null));
    const result: { id: string; inserted: boolean; completed_at?: Date | null }[] =
      await manager.query(upsertStatement(table, chunk.length), parameters);
    for (const row of result) {
      written.push({ id: row.id, inserted: row.inserted, completedAt: row.completed_at });
    }
  }

  return written;
}

function upsertStatement(table: RecordTable, rowCount: number): string {
  const width = table.columns.length;
  const values = Array.from({ length: rowCount }, (_, row) => {
    const placeholders = table.columns.map((_column, index) => `$${row * width + index + 1}`);

    return `(${placeholders.join(', ')})`;
  });
  const content = table.contentColumns;
  const updates = [
    ...content.map((column) => `${column} = excluded.${column}`),
    ...Object.entries(table.derivedUpdates ?? {}).map(([column, sql]) => `${column} = ${sql}`),
    'source_version_at = excluded.source_version_at',
    'synced_at = excluded.synced_at',
  ];
  const stored = content.map((column) => `t.${column}`).join(', ');
  const incoming = content.map((column) => `excluded.${column}`).join(', ');
  const returning = table.columns.includes('completed_at') ? ', completed_at' : '';

  return `INSERT INTO ${table.name} AS t (${table.columns.join(', ')})
    VALUES ${values.join(', ')}
    ON CONFLICT (location_id, id) DO UPDATE SET ${updates.join(', ')}
    WHERE excluded.source_version_at > t.source_version_at
       OR (excluded.source_version_at = t.source_version_at
           AND ROW(${stored}) IS DISTINCT FROM ROW(${incoming}))
       OR (t.deleted_at IS NOT NULL AND excluded.deleted_at IS NULL
           AND excluded.synced_at > t.deleted_at)
    RETURNING id, (xmax = 0) AS inserted${returning}`;
}

/** One statement may not touch a row twice: keep the newest version of each id. */
function latestPerId(rows: RecordRow[]): RecordRow[] {
  const byId = new Map<string, RecordRow>();
  for (const row of rows) {
    if (typeof row.id !== 'string' || row.id === '') continue; // GHL sent a record without id
    const known = byId.get(row.id as string);
    if (!known || versionOf(row) >= versionOf(known)) byId.set(row.id as string, row);
  }

  return [...byId.values()];
}

const versionOf = (row: RecordRow) => (row.source_version_at as Date).getTime();

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
