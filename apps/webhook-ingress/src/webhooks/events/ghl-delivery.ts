import { isGhlId } from '@sm/entities';
import { storableText } from '@sm/platform';

import { EventRoute, routeOf } from './ghl-event-catalog';
import { WebhookRefusal } from '../webhook-refusal';

/** The inbox's `event_type` and `webhook_id` columns. */
const MAX_TYPE_LENGTH = 64;
const MAX_WEBHOOK_ID_LENGTH = 128;

/** What the ingress needs to know about a signed delivery to record and route it. */
export interface GhlDelivery {
  eventType: string;
  /** Undefined for event types the product does not act on. */
  route: EventRoute | undefined;
  locationId: string | null;
  companyId: string | null;
  webhookId: string | null;
  timestamp: unknown;
  /** The ids that, with the type and the body, identify a delivery that carries no webhookId. */
  entityIds: string[];
  /** Set when a known event lacks what routing needs: it is recorded as failed, not routed. */
  unroutable: string | undefined;
  /** Documented fields of an unexpected type: reported, never refused. */
  deviations: string[];
}

type Payload = Record<string, unknown>;

/**
 * Reads a signed, parsed body. Only a body that is not an event at all (not an object, or no
 * usable `type`) is refused; everything else is recorded. The strings read here go to text
 * columns, so each NUL or lone surrogate in them is read as U+FFFD, as the stored body has it.
 */
export function readDelivery(payload: unknown): GhlDelivery {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new WebhookRefusal(400, 'invalid_payload', 'the body must be a JSON object');
  }
  const event = payload as Payload;
  const type = event.type;
  if (typeof type !== 'string' || type === '' || type.length > MAX_TYPE_LENGTH) {
    throw new WebhookRefusal(
      400,
      'invalid_payload',
      `type must be a string of 1 to ${MAX_TYPE_LENGTH} characters`,
    );
  }

  const eventType = storableText(type);
  const route = routeOf(eventType);
  const { unroutable, deviations } = route ? checkShape(route, event) : noIssues;
  const locationId = idOrNull(event.locationId);

  return {
    eventType,
    route,
    locationId,
    companyId: idOrNull(event.companyId),
    webhookId: webhookIdOf(event.webhookId),
    timestamp: event.timestamp,
    entityIds: [locationId, idOrNull(event.id), appointmentIdOf(event.appointment)].map(
      (id) => id ?? '',
    ),
    unroutable,
    deviations,
  };
}

const noIssues = { unroutable: undefined, deviations: [] as string[] };

function checkShape(route: EventRoute, event: Payload) {
  const result = route.schema.safeParse(event);
  if (result.success) return noIssues;

  const unroutable: string[] = [];
  const deviations: string[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.map(String).join('.');
    const isRoutingIssue = issue.path.length === 0 || route.routingFields.includes(field);
    if (isRoutingIssue) unroutable.push(field ? `${field}: ${issue.message}` : issue.message);
    else deviations.push(field);
  }

  return { unroutable: unroutable.length ? unroutable.join('; ') : undefined, deviations };
}

/** `ghlId`'s rule, checked by hand: a zod failure builds an error per absent id, per delivery. */
function idOrNull(value: unknown): string | null {
  return isGhlId(value) ? storableText(value) : null;
}

function webhookIdOf(value: unknown): string | null {
  const isUsable =
    typeof value === 'string' && value !== '' && value.length <= MAX_WEBHOOK_ID_LENGTH;

  return isUsable ? storableText(value) : null;
}

function appointmentIdOf(appointment: unknown): string | null {
  return typeof appointment === 'object' && appointment !== null
    ? idOrNull((appointment as Payload).id)
    : null;
}
