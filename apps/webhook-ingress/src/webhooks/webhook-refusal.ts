/** Why a delivery was not recorded. Each reason is answered as JSON and logged at warn. */
export type RefusalReason =
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'signature_missing'
  | 'signature_invalid'
  | 'malformed_json'
  | 'invalid_payload'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'unstorable_payload'
  | 'inbox_unavailable';

/**
 * A delivery the ingress does not record. `message` names the problem for the sender and may be
 * logged: it never holds the body or a signature.
 */
export class WebhookRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRefusal';
  }
}
