import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const DeliveryStatus = {
  /** Recorded and acknowledged; not yet acted on. */
  Received: 'received',
  Processed: 'processed',
  /** Recorded and acknowledged, deliberately not acted on (unknown type, uninstalled location). */
  Ignored: 'ignored',
  Failed: 'failed',
} as const;

export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** The webhook inbox: every signed GHL delivery, recorded before it is acknowledged. */
@Entity('webhook_inbox')
@Index('IDX_webhook_inbox_status_received', ['status', 'receivedAt'])
@Index('IDX_webhook_inbox_location_received', ['locationId', 'receivedAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** GHL's webhookId, or a hash of type, ids and body where GHL sent none. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 128, unique: true })
  dedupeKey: string;

  @Column({ name: 'webhook_id', type: 'varchar', length: 128, nullable: true })
  webhookId: string | null;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  @Column({ name: 'location_id', type: 'varchar', length: 64, nullable: true })
  locationId: string | null;

  @Column({ type: 'jsonb' })
  payload: Record<string, unknown>;

  /** `ed25519` (x-ghl-signature) or `rsa-sha256` (x-wh-signature). */
  @Column({ name: 'signature_scheme', type: 'varchar', length: 16 })
  signatureScheme: string;

  @Column({ type: 'varchar', length: 16, default: DeliveryStatus.Received })
  status: DeliveryStatus;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
