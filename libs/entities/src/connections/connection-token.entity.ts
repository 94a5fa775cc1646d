import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A location's token pair, encrypted (AES-256-GCM). Only the auth service reads or writes this
 * table; the ciphertexts carry the id of the key that sealed them.
 */
@Entity('ghl_connection_tokens')
export class ConnectionToken {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'access_token_sealed', type: 'text' })
  accessTokenSealed: string;

  @Column({ name: 'refresh_token_sealed', type: 'text', nullable: true })
  refreshTokenSealed: string | null;

  @Column({ name: 'key_id', type: 'varchar', length: 32 })
  keyId: string;

  @Column({ name: 'access_token_expires_at', type: 'timestamptz' })
  accessTokenExpiresAt: Date;

  /** Incremented by every refresh: tells a re-reader whether someone else refreshed first. */
  @Column({ type: 'integer', default: 1 })
  generation: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
