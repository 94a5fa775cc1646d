import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

import { ConnectionStatus } from './connection-status';

/** One installed GHL location (sub-account). Holds no secret: tokens live in their own table. */
@Entity('ghl_connections')
export class Connection {
  @PrimaryColumn({ name: 'location_id', type: 'varchar', length: 64 })
  locationId: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64, nullable: true })
  companyId: string | null;

  @Column({ type: 'varchar', length: 32 })
  status: ConnectionStatus;

  /** Scopes GHL granted, as GHL returned them. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  scopes: string[];

  /** `oauth` (authorization code), `agency` (minted from a company token) or `pit`. */
  @Column({ name: 'credential_kind', type: 'varchar', length: 16, default: 'oauth' })
  credentialKind: string;

  @Column({ name: 'installed_by_user_id', type: 'varchar', length: 64, nullable: true })
  installedByUserId: string | null;

  /** IANA zone from GHL's location settings; decides when "midnight" is. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone: string | null;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @CreateDateColumn({ name: 'installed_at', type: 'timestamptz' })
  installedAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
