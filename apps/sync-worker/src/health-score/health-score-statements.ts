/**
 * The two statements that store a batch of new scores. Both take the same parameters: $1 the
 * location, $2 the scores as JSON (`[{ contact_id, score, factors }]`), $3 the trigger, $4 the
 * time of the recompute.
 */

/** The batch's new scores, from the one JSON parameter ($2) both writes take. */
const SCORED_ROWS = `jsonb_to_recordset($2::jsonb) AS scored(
  contact_id varchar, score int, factors jsonb)`;

/**
 * Stores the scores that are new or whose points moved, and appends exactly those to the
 * history. A factor's detail (days since the last touch) moves on every run; only points make
 * history.
 *
 * The stored score is found by the upsert's conflict check, which always probes the primary key
 * once per scored contact. A lookup of the stored scores by join left the plan to the
 * statistics, and they do not know a location until an ANALYZE has seen its rows: for a new
 * location Postgres expected one row and hashed all of the location's scores for every batch of
 * 500, so a first rescore cost time in the square of the location's size (28 s of Postgres for
 * 50,000 contacts in the sync bench, 0.9 s for the last batch alone).
 */
export const STORE_CHANGED_SCORES = `
  WITH changed AS (
    INSERT INTO contact_health_scores AS stored
      (location_id, contact_id, score, factors, trigger, computed_at)
    SELECT $1::varchar, scored.contact_id, scored.score, scored.factors, $3::varchar,
           $4::timestamptz
    FROM ${SCORED_ROWS}
    ON CONFLICT (location_id, contact_id) DO UPDATE
      SET score = excluded.score, factors = excluded.factors, trigger = excluded.trigger,
          computed_at = excluded.computed_at
      WHERE stored.score IS DISTINCT FROM excluded.score
         OR jsonb_path_query_array(stored.factors, '$[*].points')
            IS DISTINCT FROM jsonb_path_query_array(excluded.factors, '$[*].points')
    RETURNING stored.contact_id, stored.score, stored.factors
  )
  INSERT INTO contact_health_score_history
    (location_id, contact_id, score, factors, trigger, computed_at)
  SELECT $1::varchar, contact_id, score, factors, $3::varchar, $4::timestamptz FROM changed`;

/**
 * Then every score of the batch takes this recompute's details, trigger and time, the unchanged
 * ones included (found by the same primary-key probe).
 */
export const STORE_CURRENT_SCORES = `
  INSERT INTO contact_health_scores (location_id, contact_id, score, factors, trigger, computed_at)
  SELECT $1::varchar, scored.contact_id, scored.score, scored.factors, $3::varchar,
         $4::timestamptz
  FROM ${SCORED_ROWS}
  ON CONFLICT (location_id, contact_id) DO UPDATE
    SET score = excluded.score, factors = excluded.factors, trigger = excluded.trigger,
        computed_at = excluded.computed_at`;
