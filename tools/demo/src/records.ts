import { DataSource } from 'typeorm';

/** Read-only queries the demo and the end-to-end test make against SolarMarket's records. */
export class RecordsProbe {
  private constructor(private readonly db: DataSource) {}

  static async connect(databaseUrl: string): Promise<RecordsProbe> {
    const db = new DataSource({ type: 'postgres', url: databaseUrl, extra: { max: 2 } });
    await db.initialize();

    return new RecordsProbe(db);
  }

  private async query(sql: string, params: unknown[] = []): Promise<{ rows: Row[] }> {
    return { rows: await this.db.query(sql, params) };
  }

  async liveCounts(locationId: string): Promise<Record<RecordKind, number>> {
    const counts = {} as Record<RecordKind, number>;
    for (const [kind, table] of Object.entries(RECORD_TABLES) as [RecordKind, string][]) {
      const { rows } = await this.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE location_id = $1 AND deleted_at IS NULL`,
        [locationId],
      );
      counts[kind] = rows[0].n;
    }

    return counts;
  }

  async latestLocationRun(locationId: string): Promise<LocationRun | undefined> {
    const { rows } = await this.query(
      `SELECT status, counts, ghl_calls, started_at, finished_at FROM sync_runs
       WHERE location_id = $1 AND scope = 'location' ORDER BY started_at DESC LIMIT 1`,
      [locationId],
    );
    if (rows.length === 0) return undefined;
    const row = rows[0];

    return {
      status: row.status,
      counts: row.counts,
      ghlCalls: row.ghl_calls,
      durationMs: row.finished_at ? row.finished_at.getTime() - row.started_at.getTime() : null,
    };
  }

  async row(
    kind: RecordKind,
    locationId: string,
    id: string,
  ): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.query(
      `SELECT * FROM ${RECORD_TABLES[kind]} WHERE location_id = $1 AND id = $2`,
      [locationId, id],
    );

    return rows[0];
  }

  async rows(kind: RecordKind, locationId: string): Promise<Record<string, unknown>[]> {
    const { rows } = await this.query(
      `SELECT * FROM ${RECORD_TABLES[kind]} WHERE location_id = $1 AND deleted_at IS NULL`,
      [locationId],
    );

    return rows;
  }

  async inboxCount(where = 'true', params: unknown[] = []): Promise<number> {
    const { rows } = await this.query(
      `SELECT count(*)::int AS n FROM webhook_inbox WHERE ${where}`,
      params,
    );

    return rows[0].n;
  }

  async deliveredNotifications(): Promise<number> {
    const { rows } = await this.query(
      `SELECT count(*)::int AS n FROM notifications WHERE status = 'delivered'`,
    );

    return rows[0].n;
  }

  /** The location's sync-completed events (the outbox holds task notices and held rows too). */
  async outboxCount(locationId: string): Promise<number> {
    const { rows } = await this.query(
      `SELECT count(*)::int AS n FROM outbox_events
       WHERE location_id = $1 AND event_type = 'sync-completed'`,
      [locationId],
    );

    return rows[0].n;
  }

  async outboxPublished(locationId: string): Promise<number> {
    const { rows } = await this.query(
      `SELECT count(*)::int AS n FROM outbox_events
       WHERE location_id = $1 AND event_type = 'sync-completed' AND published_at IS NOT NULL`,
      [locationId],
    );

    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

// Rows as node-postgres returns them; callers know the columns they asked for.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

export type RecordKind = 'contacts' | 'tasks' | 'notes' | 'appointments';

export const RECORD_TABLES: Record<RecordKind, string> = {
  contacts: 'contacts',
  tasks: 'contact_tasks',
  notes: 'contact_notes',
  appointments: 'contact_appointments',
};

export interface LocationRun {
  status: string;
  counts: Record<string, number>;
  ghlCalls: number;
  durationMs: number | null;
}
