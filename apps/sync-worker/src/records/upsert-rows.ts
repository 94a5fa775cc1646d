import type { EntityManager } from 'typeorm';

import { chunks } from './chunks';
import type { RecordRow } from './record-mappers';
import type { RecordTable } from './record-tables';
import { rowsAsJson } from './rows-as-json';

/** Rows per statement: bounds a statement's memory on both sides, and its transaction's locks. */
const MAX_ROWS_PER_STATEMENT = 1_000;

export interface WrittenRow {
  id: string;
  inserted: boolean;
  completedAt?: Date | null;
}

/**
 * Multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE newer`, 1,000 rows a statement. A row is
 * replaced when the incoming version is newer, when it is as new but says something else, or
 * when it was fetched after the stored row was tombstoned (GHL shows it again). A replay of the
 * same version therefore leaves the row untouched. Returns the rows written.
 *
 * The rows travel as one JSON parameter, unpacked by `json_populate_recordset` into the table's
 * own column types, rather than as a placeholder per value: a 1,000-row page of contacts was
 * 30,000 parameters, each converted, framed and written by the client and bound by Postgres,
 * under a statement text of 30,000 placeholders that Postgres parsed and planned every time.
 * One parameter a statement also keeps every statement far under Postgres' limit of 65,535.
 *
 * Rows are written in id order, across statements too, the order in which every writer of
 * record rows locks them (see `updateInIdOrder`): a batch that listed two rows the other way
 * round would otherwise hold one while waiting for the other, and two transactions would
 * deadlock.
 */
export async function upsertRows(
  manager: EntityManager,
  table: RecordTable,
  rows: RecordRow[],
): Promise<WrittenRow[]> {
  const written: WrittenRow[] = [];
  const statement = upsertStatement(table);
  for (const chunk of chunks(inIdOrder(latestPerId(rows)), MAX_ROWS_PER_STATEMENT)) {
    const result: { id: string; inserted: boolean; completed_at?: Date | null }[] =
      await manager.query(statement, [rowsAsJson(chunk, table.columns)]);
    for (const row of result) {
      written.push({ id: row.id, inserted: row.inserted, completedAt: row.completed_at });
    }
  }

  return written;
}

const statements = new WeakMap<RecordTable, string>();

function upsertStatement(table: RecordTable): string {
  const known = statements.get(table);
  if (known) return known;

  const columns = table.columns.join(', ');
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
  const statement = `INSERT INTO ${table.name} AS t (${columns})
    SELECT ${columns} FROM json_populate_recordset(NULL::${table.name}, $1::json)
    ORDER BY id COLLATE "C"
    ON CONFLICT (location_id, id) DO UPDATE SET ${updates.join(', ')}
    WHERE excluded.source_version_at > t.source_version_at
       OR (excluded.source_version_at = t.source_version_at
           AND ROW(${stored}) IS DISTINCT FROM ROW(${incoming}))
       OR (t.deleted_at IS NOT NULL AND excluded.deleted_at IS NULL
           AND excluded.synced_at > t.deleted_at)
    RETURNING id, (xmax = 0) AS inserted${returning}`;
  statements.set(table, statement);

  return statement;
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

/**
 * Sorted by id as `ORDER BY id COLLATE "C"` sorts them (UTF-8 bytes). JavaScript compares UTF-16
 * code units, which agrees except between characters beyond U+FFFF and those from U+E000 to
 * U+FFFF, never in GHL's ids (letters and digits).
 */
function inIdOrder(rows: RecordRow[]): RecordRow[] {
  return rows.sort((a, b) => {
    const [left, right] = [a.id as string, b.id as string];
    if (left === right) return 0;

    return left < right ? -1 : 1;
  });
}
