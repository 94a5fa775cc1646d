import { isGhlId } from '@sm/entities';

import type { ChildKind } from '../records/record-tables';

/** What a GHL event asks the worker to do. */
export type WebhookAction =
  | { kind: 'sync-contact'; contactId: string }
  | { kind: 'tombstone-contact'; contactId: string }
  | { kind: 'tombstone-child'; child: ChildKind; contactId: string; id: string }
  | { kind: 'ignore'; reason: string };

type Payload = Record<string, unknown>;

const id = (value: unknown): string | null => (isGhlId(value) ? value : null);

/**
 * GHL's event types and where their ids live (FACTS §9): Contact* carry the contact as `id`;
 * Task* and Note* carry `contactId` and their own `id`; Appointment* nest both under
 * `appointment`. Anything else is recorded and ignored here.
 */
export function routeWebhook(eventType: string, payload: Payload): WebhookAction {
  if (eventType.startsWith('Contact')) return contactRoute(eventType, payload);

  const child = childOf(eventType);
  if (!child) return { kind: 'ignore', reason: 'not a sync event' };

  const record = (child === 'appointments' ? payload.appointment : payload) as Payload | undefined;
  const contactId = id(record?.contactId);
  const recordId = id(record?.id);
  if (!contactId) return { kind: 'ignore', reason: 'no GHL contactId in the payload' };
  if (!eventType.endsWith('Delete')) return { kind: 'sync-contact', contactId };
  if (!recordId) return { kind: 'sync-contact', contactId };

  return { kind: 'tombstone-child', child, contactId, id: recordId };
}

function contactRoute(eventType: string, payload: Payload): WebhookAction {
  const contactId = id(payload.id) ?? id(payload.contactId);
  if (!contactId) return { kind: 'ignore', reason: 'no GHL contact id in the payload' };

  return eventType === 'ContactDelete'
    ? { kind: 'tombstone-contact', contactId }
    : { kind: 'sync-contact', contactId };
}

function childOf(eventType: string): ChildKind | null {
  if (eventType.startsWith('Task')) return 'tasks';
  if (eventType.startsWith('Note')) return 'notes';
  if (eventType.startsWith('Appointment')) return 'appointments';

  return null;
}
