/**
 * A delivery that did not happen. `reason` is stored in `notifications.last_error` and logged, so
 * it names what went wrong (a status, an error code) and never the destination or the message.
 */
export class DeliveryError extends Error {
  constructor(
    readonly reason: string,
    /** True when retrying cannot help (the far end refused the message itself). */
    readonly permanent: boolean,
  ) {
    super(reason);
    this.name = 'DeliveryError';
  }

  static transient(reason: string): DeliveryError {
    return new DeliveryError(reason, false);
  }

  static permanent(reason: string): DeliveryError {
    return new DeliveryError(reason, true);
  }
}

/**
 * Classifies an HTTP answer: 429 and 5xx may pass on a later try, any other non-2xx will not
 * (a revoked webhook answers 403/404, a malformed message 400).
 */
export function deliveryErrorForStatus(status: number): DeliveryError {
  const isTransient = status === 408 || status === 429 || status >= 500;

  return new DeliveryError(`HTTP ${status}`, !isTransient);
}

/**
 * Classifies a failed request (refused connection, DNS, timeout) by its error code only: undici's
 * messages can carry the host and path, and the path of an incoming webhook is its secret.
 */
export function deliveryErrorForRequest(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const failure = error as { name?: string; cause?: { code?: string; name?: string } };
  if (failure?.name === 'TimeoutError' || failure?.cause?.name === 'TimeoutError') {
    return DeliveryError.transient('request timed out');
  }
  const code = failure?.cause?.code ?? 'unknown';

  return DeliveryError.transient(`request failed: ${code}`);
}

/**
 * Classifies a failed SMTP exchange by its reply code and nodemailer's error code only: the
 * server's text can echo addresses. A 5xx reply is permanent (a refused recipient or sender, bad
 * credentials), a 4xx reply is the server asking to try later; without a reply (refused
 * connection, timeout, TLS) the next try may pass.
 */
export function deliveryErrorForSmtp(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const failure = error as { code?: unknown; responseCode?: unknown };
  const code = typeof failure?.code === 'string' ? failure.code : 'unknown';
  const reply = typeof failure?.responseCode === 'number' ? failure.responseCode : undefined;

  if (reply === undefined) return DeliveryError.transient(`SMTP ${code}`);

  return new DeliveryError(`SMTP ${reply} (${code})`, reply >= 500);
}

/** A recipient the far end would not take, and whether a later try may change that. */
export interface RefusedRecipient {
  address: string;
  /** An SMTP 5xx: the server will not take it for this address. */
  permanent: boolean;
}

/**
 * Some recipients of one message were refused and the others took it (`accepted`, possibly
 * none): a retry must go to the refused ones only. Permanent when every refusal is, since then
 * no later try can deliver to anyone more.
 */
export class RecipientsRefusedError extends DeliveryError {
  constructor(
    reason: string,
    readonly accepted: string[],
    readonly refused: RefusedRecipient[],
  ) {
    super(
      reason,
      refused.every((recipient) => recipient.permanent),
    );
    this.name = 'RecipientsRefusedError';
  }
}

/**
 * Classifies nodemailer's refusals of single recipients (RCPT TO, or an LMTP reply per
 * recipient) of a message sent to `recipients`; undefined when there are none. The reason names
 * reply codes and counts, never an address: the addresses go to the row's own columns.
 */
export function deliveryErrorForRefusals(
  recipients: string[],
  refusals: unknown,
): RecipientsRefusedError | undefined {
  if (!Array.isArray(refusals) || refusals.length === 0) return undefined;
  const byAddress = new Map(recipients.map((address) => [address.toLowerCase(), address]));
  const refused = refusals.map((refusal: { recipient?: unknown }) => {
    const address = addressOf(refusal?.recipient);
    const { reason, permanent } = deliveryErrorForSmtp(refusal);

    return { address: byAddress.get(address.toLowerCase()) ?? address, permanent, reason };
  });
  const refusedAddresses = new Set(refused.map((recipient) => recipient.address.toLowerCase()));
  const accepted = recipients.filter((address) => !refusedAddresses.has(address.toLowerCase()));
  const reasons = [...new Set(refused.map((recipient) => recipient.reason))].join(', ');

  return new RecipientsRefusedError(
    `${reasons} for ${refused.length} of ${recipients.length} recipients`,
    accepted,
    refused.map(({ address, permanent }) => ({ address, permanent })),
  );
}

/** nodemailer gives a recipient as its address, or as `{ name, address }`. */
function addressOf(recipient: unknown): string {
  if (typeof recipient === 'string') return recipient;
  const { address } = (recipient ?? {}) as { address?: unknown };

  return typeof address === 'string' ? address : '';
}
