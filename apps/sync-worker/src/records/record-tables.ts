/** The record tables the worker writes, and how a newer version replaces an older one. */
export interface RecordTable {
  name: string;
  /** Every column a row carries, in insert order. */
  columns: readonly string[];
  /** What a row's JSON carries: `columns`, then the ones an insert alone writes (see below). */
  sentColumns: readonly string[];
  /** What an update copies from the incoming row; the rest is key or bookkeeping. */
  contentColumns: readonly string[];
  /** Columns computed on update from the stored and the incoming row. */
  derivedUpdates: Record<string, string>;
  /** Columns the insert computes from the incoming row (never sent), by their SQL. */
  insertedColumns: Record<string, string>;
}

interface TableOptions {
  derived?: Record<string, string>;
  inserted?: Record<string, string>;
  /** Sent with the row when it has them, written by an insert and left alone by an update. */
  insertOnly?: string[];
}

const BOOKKEEPING = ['location_id', 'id', 'source_version_at', 'synced_at'];

/**
 * The version at which SolarMarket first held a record live, which the timeline reads its
 * creation entry from: an insert's version unless it inserts a tombstone; a write that shows a
 * row first stored as a tombstone sets it, and nothing moves it after that.
 */
const FIRST_VERSION = {
  inserted: 'CASE WHEN deleted_at IS NULL THEN source_version_at END',
  updated: 'COALESCE(t.first_version_at, excluded.first_version_at)',
};

/**
 * What an insert saw of a task's completion or an appointment's outcome, which the timeline
 * reads those entries from; as the fallback triggers of the migration 1764908000000 set it.
 */
const FIRST_SIGHT = {
  completedAt:
    'CASE WHEN deleted_at IS NULL AND completed THEN COALESCE(completed_at, source_version_at) END',
  status:
    "CASE WHEN deleted_at IS NULL AND lower(status) IN ('cancelled', 'showed', 'noshow') " +
    'THEN status END',
};

function table(name: string, columns: string[], options: TableOptions = {}): RecordTable {
  const insertOnly = options.insertOnly ?? [];
  const derived = Object.keys(options.derived ?? {});
  const contentColumns = columns.filter(
    (column) => !BOOKKEEPING.includes(column) && !derived.includes(column),
  );

  return {
    name,
    columns,
    sentColumns: [...columns, ...insertOnly],
    contentColumns,
    derivedUpdates: { ...options.derived, first_version_at: FIRST_VERSION.updated },
    insertedColumns: { first_version_at: FIRST_VERSION.inserted, ...options.inserted },
  };
}

/**
 * A contact inserted with its children in one transaction (a location sync's listed batch) is
 * inserted with its fetched mark: the children's version it was sent with, fetched now. Set by an
 * UPDATE after the insert, it cost each of a first sync's contacts a second row version of its
 * whole width (pg_stat_statements: 243 ms of Postgres in a 10k sync). An update never moves the
 * mark: only a write of the children does (`RecordWriter.markChildrenFetched`).
 */
const CHILDREN_MARK: TableOptions = {
  insertOnly: ['children_version_at'],
  inserted: { children_fetched_at: 'CASE WHEN children_version_at IS NOT NULL THEN now() END' },
};

export const ContactsTable = table(
  'contacts',
  [
    'location_id',
    'id',
    'first_name',
    'last_name',
    'name',
    'email',
    'phone',
    'phone_extension',
    'company_name',
    'source',
    'type',
    'assigned_to',
    'timezone',
    'dnd',
    'dnd_settings',
    'tags',
    'custom_fields',
    'custom_fields_by_key',
    'address1',
    'city',
    'state',
    'country',
    'postal_code',
    'website',
    'date_of_birth',
    'business_id',
    'ghl_date_added',
    'ghl_date_updated',
    'source_version_at',
    'deleted_at',
    'synced_at',
  ],
  CHILDREN_MARK,
);

export const TasksTable = table(
  'contact_tasks',
  [
    'location_id',
    'id',
    'contact_id',
    'title',
    'body',
    'assigned_to',
    'due_date',
    'completed',
    'completed_at',
    'source_version_at',
    'deleted_at',
    'synced_at',
  ],
  {
    // The first time SolarMarket saw the task completed survives later fetches.
    derived: {
      completed_at:
        'CASE WHEN NOT excluded.completed THEN NULL ' +
        'ELSE COALESCE(t.completed_at, excluded.completed_at) END',
    },
    inserted: { completed_at_first_sight: FIRST_SIGHT.completedAt },
  },
);

export const NotesTable = table('contact_notes', [
  'location_id',
  'id',
  'contact_id',
  'body',
  'user_id',
  'ghl_date_added',
  'source_version_at',
  'deleted_at',
  'synced_at',
]);

export const AppointmentsTable = table(
  'contact_appointments',
  [
    'location_id',
    'id',
    'contact_id',
    'calendar_id',
    'title',
    'status',
    'assigned_user_id',
    'address',
    'notes',
    'start_time',
    'end_time',
    'ghl_date_updated',
    'source_version_at',
    'deleted_at',
    'synced_at',
  ],
  { inserted: { status_at_first_sight: FIRST_SIGHT.status } },
);

export type ChildKind = 'tasks' | 'notes' | 'appointments';

export const ChildTables: Record<ChildKind, RecordTable> = {
  tasks: TasksTable,
  notes: NotesTable,
  appointments: AppointmentsTable,
};
