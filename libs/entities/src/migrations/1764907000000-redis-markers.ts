import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue prefixes whose Redis marker a sync worker has seen: a worker that boots to
 * find its marker key gone from Redis, where this table says one was, knows that Redis lost its
 * data while no worker was watching (a failover to an empty replica during a deploy), and
 * recovers as it would from a loss it saw happen.
 */
export class RedisMarkers1764907000000 implements MigrationInterface {
  name = 'RedisMarkers1764907000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE redis_markers (
        queue_prefix text PRIMARY KEY,
        first_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE redis_markers');
  }
}
