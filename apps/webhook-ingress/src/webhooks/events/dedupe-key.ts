import { createHash } from 'node:crypto';

import type { GhlDelivery } from './ghl-delivery';

/**
 * What makes a delivery unique. GHL's `webhookId` when it sent one (a retry or a duplicate send
 * repeats it); otherwise a hash of the type, the ids and the exact body, so that the same
 * change delivered twice is still recorded once.
 */
export function dedupeKeyOf(delivery: GhlDelivery, body: Buffer): string {
  if (delivery.webhookId !== null) return delivery.webhookId;

  const hash = createHash('sha256');
  hash.update(delivery.eventType);
  for (const id of delivery.entityIds) hash.update(`\0${id}`);
  hash.update('\0');
  hash.update(body);

  return `sha256:${hash.digest('hex')}`;
}
