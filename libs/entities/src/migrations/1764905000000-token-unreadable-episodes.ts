import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The unreadable-token episode of each location (see `TokenUnreadableEpisode`). A table of its
 * own rather than columns of `ghl_connection_tokens`: every write to that table sends a change
 * notice that drops the replicas' token reads, and a replica that cannot open a row would then
 * make those that can read it again, and close the episode, on each of its refusals.
 */
export class TokenUnreadableEpisodes1764905000000 implements MigrationInterface {
  name = 'TokenUnreadableEpisodes1764905000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE token_unreadable_episodes (
        location_id varchar(64) PRIMARY KEY,
        episode integer NOT NULL,
        opened_at timestamptz NOT NULL,
        closed_at timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE token_unreadable_episodes');
  }
}
