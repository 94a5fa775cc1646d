import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The latest stretch of time during which a location's stored token did not open with the key
 * ring of some auth-service replica, for its admin alert: one alert per episode, whatever the
 * replicas and requests. An episode opens (`closed_at` NULL) when its alert is queued and
 * closes when the row is next opened, rewritten or deleted; the next failure opens the next
 * one. The row outlives its token row (an uninstall): `episode` keeps counting, so that an
 * alert's dedupe key is never used twice for a location.
 */
@Entity('token_unreadable_episodes')
export class TokenUnreadableEpisode {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  /** 1 for the location's first episode, one more for each after it. */
  @Column({ type: 'integer' })
  episode: number;

  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt: Date;

  /** NULL while the episode is open: its alert is queued, the row has not opened since. */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;
}
