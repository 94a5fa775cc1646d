import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An issued OAuth `state` nonce: valid until it expires, accepted once. */
@Entity('oauth_states')
@Index('IDX_oauth_states_expires_at', ['expiresAt'])
export class OAuthState {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  nonce: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt: Date | null;
}
