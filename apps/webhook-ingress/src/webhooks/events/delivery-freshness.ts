import { WebhookRefusal } from '../webhook-refusal';

/**
 * Refuses a replayed delivery: one whose `timestamp` lies further than the tolerance from our
 * clock, in either direction (a timestamp from the future is as suspect as a stale one). A
 * delivery without a timestamp passes: GHL's per-event examples carry none, and the dedupe key
 * still stops a replay of anything already recorded.
 */
// TODO: if GHL's retries resend the first attempt's timestamp (likely: the body is signed as a
// whole), a delivery answered 429 and retried after the tolerance is refused as stale. Safe for
// now because the nightly full sync restores whatever such a delivery would have changed; raise
// WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS (e.g. to 4500, GHL's old retry horizon) once GHL confirms.
export function assertFresh(timestamp: unknown, toleranceSeconds: number, now = Date.now()): void {
  if (timestamp === undefined || timestamp === null) return;

  const sentAt =
    typeof timestamp === 'string'
      ? Date.parse(timestamp)
      : typeof timestamp === 'number'
        ? timestamp
        : NaN;
  if (!Number.isFinite(sentAt)) {
    throw new WebhookRefusal(400, 'invalid_timestamp', 'timestamp is not an ISO-8601 date');
  }

  const skewSeconds = Math.abs(now - sentAt) / 1000;
  if (skewSeconds > toleranceSeconds) {
    throw new WebhookRefusal(
      401,
      'stale_timestamp',
      `timestamp is ${Math.round(skewSeconds)} s from now; the tolerance is ${toleranceSeconds} s`,
    );
  }
}
