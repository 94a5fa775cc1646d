import { DataSource, EntityManager } from 'typeorm';

import {
  STORE_CHANGED_SCORES,
  STORE_CURRENT_SCORES,
} from '../src/health-score/health-score-statements';
import { useScratchDatabase } from './support/scratch-database';

const BIG_LOCATION = 'SMscoresUnknown00001';
const STORED_SCORES = 20_000;
const BATCH = 500;
const COMPUTED_AT = new Date('2026-03-10T09:00:00.000Z');

const contactId = (n: number) => `contact-${String(n).padStart(5, '0')}`;
const factors = (points: number) => [
  { factor: 'recency', points, detail: { daysSinceLastTouch: 2 } },
  { factor: 'reachability', points: 15, detail: null },
];

/** A node of EXPLAIN (ANALYZE, FORMAT JSON), as far as this spec reads it. */
interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows that the plan's scans of `table` read, kept or filtered out, over all their loops. */
function rowsScanned(node: PlanNode, table: string): number {
  const isScanOfTable = node['Relation Name'] === table && node['Node Type'].includes('Scan');
  const read = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0);
  const own = isScanOfTable ? read * (node['Actual Loops'] ?? 1) : 0;

  return (node.Plans ?? []).reduce((sum, child) => sum + rowsScanned(child, table), own);
}

/**
 * A location's first rescore runs before any ANALYZE has seen its rows: Postgres' statistics
 * know other locations only. The writes must still find each stored score by its key, not read
 * the location's scores for every batch (which made a first rescore quadratic in its size).
 */
describe('health score writes at a location the statistics do not know (real Postgres)', () => {
  const scratch = useScratchDatabase();
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = scratch.dataSource;
    // Statistics taken while only another location had scores, and kept that way.
    await dataSource.query('ALTER TABLE contact_health_scores SET (autovacuum_enabled = false)');
    await storeScores('SMscoresKnown0000001', 300, 40);
    await dataSource.query('ANALYZE contact_health_scores');
    await storeScores(BIG_LOCATION, STORED_SCORES, 40);
  });

  function storeScores(locationId: string, count: number, points: number) {
    return dataSource.query(
      `INSERT INTO contact_health_scores (location_id, contact_id, score, factors, trigger,
                                          computed_at)
       SELECT $1, 'contact-' || lpad(n::text, 5, '0'), $3 + 15, $4::jsonb, 'sync', $5
       FROM generate_series(1, $2::int) AS n`,
      [locationId, count, points, JSON.stringify(factors(points)), COMPUTED_AT],
    );
  }

  /** A batch spread over the location: every 40th contact, each fifth one with new points. */
  const batchParameters = () => {
    const scored = Array.from({ length: BATCH }, (_, index) => {
      const points = index % 5 === 0 ? 10 : 40;

      return {
        contact_id: contactId(index * 40 + 1),
        score: points + 15,
        factors: factors(points),
      };
    });

    return [BIG_LOCATION, JSON.stringify(scored), 'sync', new Date()];
  };

  async function explained(manager: EntityManager, statement: string, parameters: unknown[]) {
    const [row]: { 'QUERY PLAN': { Plan: PlanNode }[] }[] = await manager.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`,
      parameters,
    );

    return row['QUERY PLAN'][0].Plan;
  }

  it('reads no stored score beyond the batch, however many the location has', async () => {
    const parameters = batchParameters();

    const scanned = await dataSource
      .transaction(async (manager) => {
        const changed = await explained(manager, STORE_CHANGED_SCORES, parameters);
        const current = await explained(manager, STORE_CURRENT_SCORES, parameters);
        // Nothing of the explained writes stays.
        throw Object.assign(new Error('rolled back'), {
          scanned: [changed, current].map((plan) => rowsScanned(plan, 'contact_health_scores')),
        });
      })
      .catch((error: { scanned?: number[] }) => error.scanned);

    expect(scanned).toHaveLength(2);
    for (const rows of scanned ?? []) expect(rows).toBeLessThanOrEqual(BATCH);
  });

  it('appends history for exactly the contacts whose points moved', async () => {
    const parameters = batchParameters();

    await dataSource.transaction(async (manager) => {
      await manager.query(STORE_CHANGED_SCORES, parameters);
      await manager.query(STORE_CURRENT_SCORES, parameters);
    });

    const history: { contact_id: string; score: number }[] = await dataSource.query(
      `SELECT contact_id, score FROM contact_health_score_history WHERE location_id = $1
       ORDER BY contact_id`,
      [BIG_LOCATION],
    );
    const moved = Array.from({ length: BATCH / 5 }, (_, index) => contactId(index * 200 + 1));
    expect(history.map((row) => row.contact_id)).toEqual(moved);
    expect(new Set(history.map((row) => row.score))).toEqual(new Set([25]));
    const [{ moved: timesMoved }]: { moved: number }[] = await dataSource.query(
      `SELECT count(*)::int AS moved FROM contact_health_scores
       WHERE location_id = $1 AND computed_at = $2`,
      [BIG_LOCATION, parameters[3]],
    );
    expect(timesMoved).toBe(BATCH);
  });
});
