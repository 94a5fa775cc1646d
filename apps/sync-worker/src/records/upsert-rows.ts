import type { EntityManager } from 'typeorm';

import { chunks } from './chunks';
import type { RecordRow } from './record-mappers';
import type { RecordTable } from './record-tables';
import { rowsAsJson } from './rows-as-json';

/** Rows per statement: bounds a statement's memory on both sides, and its transaction's locks. */
const MAX_ROWS_PER_STATEMENT = 1_000;

/**
 * The longest JSON parameter a statement sends, in UTF-16 code units (`string.length`); a chunk
 * whose rows write more is split in halves until each fits. Postgres refuses a `jsonb` value
 * over 256 MiB, and a code unit is at most 3 bytes of UTF-8: 1,000 notes of 90,000 characters
 * of Chinese text, or contacts with 45,000 of custom fields each (held twice, by id and by key),
 * failed their whole statement, and the sync with it. A single row longer than this goes alone
 * (one of over 256 MiB of UTF-8 still fails, as one of over 1 GiB did as `json`).
 */
const MAX_STATEMENT_JSON_LENGTH = 32 * 1024 * 1024;

export interface WrittenRow {
  id: string;
  inserted: boolean;
  completedAt?: Date | null;
}

/**
 * Multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE changed and newer`, 1,000 rows a statement.
 * A stored row is replaced when the incoming one says something else (its content columns
 * differ) and is newer: a newer version, the same version fetched later (GHL changed a field
 * without moving its version, or our custom field keys were refreshed), or a fetch after the
 * stored row was tombstoned (GHL shows it again). Returns the rows written: those inserted or
 * whose content changed.
 *
 * A newer version that says the same thing only moves the row's version and fetch time, in a
 * second statement over those rows (see `recordNewerVersions`), and is not returned: replaying a
 * fetch counts, announces and adds to the timeline nothing, yet the version is kept, so that a
 * fetch of an older version with other content, written after it, still loses.
 *
 * The rows travel as one JSON parameter, unpacked by `jsonb_populate_recordset` into the table's
 * own column types, rather than as a placeholder per value: a 1,000-row page of contacts was
 * 30,000 parameters, each converted, framed and written by the client and bound by Postgres,
 * under a statement text of 30,000 placeholders that Postgres parsed and planned every time.
 * One parameter a statement also keeps every statement far under Postgres' limit of 65,535.
 * It is read as `jsonb`, parsed once, rather than as `json`, whose nested objects (a contact's
 * custom fields, its DND settings) were parsed a second time into their `jsonb` columns: the
 * 10k sync's contact upserts took 280 ms of Postgres instead of 418 (pg_stat_statements).
 *
 * Rows are written in id order, across statements too, the order in which every writer of
 * record rows locks them (see `updateInIdOrder`): a batch that listed two rows the other way
 * round would otherwise hold one while waiting for the other, and two transactions would
 * deadlock. The version statement takes no lock of its own: ON CONFLICT locks every conflicting
 * row, updated or not, so its rows are already held. A writer that goes on to update other rows
 * of the table passes them too, as stored: never newer than themselves, they are left as they
 * are, yet locked in the same pass (see `writeLiveChildren`).
 *
 * TODO: the same version fetched again with the same content moves nothing, not even the fetch
 * time (a nightly would otherwise rewrite every contact). So after A, B, A seen at one version
 * with B's fetch written last, B stays until GHL moves the version; two fetches of one version
 * are ordered right.
 */
export async function upsertRows(
  manager: EntityManager,
  table: RecordTable,
  rows: RecordRow[],
): Promise<WrittenRow[]> {
  const written: WrittenRow[] = [];
  for (const chunk of chunks(inIdOrder(latestPerId(rows)), MAX_ROWS_PER_STATEMENT)) {
    await upsertChunk(manager, table, chunk, written);
  }

  return written;
}

/** One statement of `chunk`, or two of its halves (in order) where its JSON is too long. */
async function upsertChunk(
  manager: EntityManager,
  table: RecordTable,
  chunk: RecordRow[],
  written: WrittenRow[],
): Promise<void> {
  const json = rowsAsJson(chunk, table.sentColumns);
  if (json.length > MAX_STATEMENT_JSON_LENGTH && chunk.length > 1) {
    const half = Math.ceil(chunk.length / 2);
    await upsertChunk(manager, table, chunk.slice(0, half), written);
    await upsertChunk(manager, table, chunk.slice(half), written);

    return;
  }

  const result: { id: string; inserted: boolean; completed_at?: Date | null }[] =
    await manager.query(upsertStatement(table), [json]);
  const writtenIds = new Set<string>();
  for (const row of result) {
    written.push({ id: row.id, inserted: row.inserted, completedAt: row.completed_at });
    writtenIds.add(row.id);
  }
  const unwritten = chunk.filter((row) => !writtenIds.has(row.id as string));
  await recordNewerVersions(manager, table, unwritten);
}

/**
 * Moves the version and fetch time of the rows the upsert left alone, where the incoming
 * version is newer (their content was the same). Rows it left alone as older stay as they are.
 */
async function recordNewerVersions(
  manager: EntityManager,
  table: RecordTable,
  rows: RecordRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(
    `UPDATE ${table.name} AS t
     SET source_version_at = v.version, synced_at = v.synced_at
     FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[], $4::timestamptz[])
       AS v(location_id, id, version, synced_at)
     WHERE t.location_id = v.location_id AND t.id = v.id AND v.version > t.source_version_at`,
    [
      rows.map((row) => row.location_id),
      rows.map((row) => row.id),
      rows.map((row) => row.source_version_at),
      rows.map((row) => row.synced_at),
    ],
  );
}

const statements = new WeakMap<RecordTable, string>();

function upsertStatement(table: RecordTable): string {
  const known = statements.get(table);
  if (known) return known;

  const sent = table.sentColumns.join(', ');
  const inserted = Object.entries(table.insertedColumns);
  const insertColumns = [sent, ...inserted.map(([column]) => column)].join(', ');
  const insertValues = [sent, ...inserted.map(([, sql]) => sql)].join(', ');
  const content = table.contentColumns;
  const updates = [
    ...content.map((column) => `${column} = excluded.${column}`),
    ...Object.entries(table.derivedUpdates).map(([column, sql]) => `${column} = ${sql}`),
    'source_version_at = excluded.source_version_at',
    'synced_at = excluded.synced_at',
  ];
  const stored = content.map((column) => `t.${column}`).join(', ');
  const incoming = content.map((column) => `excluded.${column}`).join(', ');
  const returning = table.columns.includes('completed_at') ? ', completed_at' : '';
  const statement = `INSERT INTO ${table.name} AS t (${insertColumns})
    SELECT ${insertValues} FROM jsonb_populate_recordset(NULL::${table.name}, $1::jsonb)
    ORDER BY id COLLATE "C"
    ON CONFLICT (location_id, id) DO UPDATE SET ${updates.join(', ')}
    WHERE ROW(${stored}) IS DISTINCT FROM ROW(${incoming})
      AND (excluded.source_version_at > t.source_version_at
           OR (excluded.source_version_at = t.source_version_at
               AND excluded.synced_at > t.synced_at)
           OR (t.deleted_at IS NOT NULL AND excluded.deleted_at IS NULL
               AND excluded.synced_at > t.deleted_at))
    RETURNING id, (xmax = 0) AS inserted${returning}`;
  statements.set(table, statement);

  return statement;
}

/**
 * One statement may not touch a row twice: keep the newest version of each id, of one version
 * the latest fetch, as the statement would.
 */
function latestPerId(rows: RecordRow[]): RecordRow[] {
  const byId = new Map<string, RecordRow>();
  for (const row of rows) {
    if (typeof row.id !== 'string' || row.id === '') continue; // GHL sent a record without id
    const known = byId.get(row.id as string);
    if (!known || !isNewer(known, row)) byId.set(row.id as string, row);
  }

  return [...byId.values()];
}

const timeOf = (row: RecordRow, column: string) => (row[column] as Date).getTime();

/** A newer version, or the same version fetched later. */
function isNewer(row: RecordRow, than: RecordRow): boolean {
  const versions = timeOf(row, 'source_version_at') - timeOf(than, 'source_version_at');

  return versions !== 0 ? versions > 0 : timeOf(row, 'synced_at') > timeOf(than, 'synced_at');
}

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
