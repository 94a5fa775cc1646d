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
