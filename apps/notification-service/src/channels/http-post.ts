import { DeliveryError, deliveryErrorForRequest, deliveryErrorForStatus } from './delivery-error';

/**
 * POSTs one body and resolves on a 2xx; throws a `DeliveryError` otherwise. Redirects are not
 * followed: a webhook that moved is a configuration to fix, not a hop to take with the body.
 * A 2xx whose JSON body says it failed (`"ok": false`, or Rocket.Chat's `"success": false`) is
 * a refusal too, and permanent: the same message would be refused again.
 */
export async function postOnce(
  url: string,
  request: { body: string; headers: Record<string, string>; timeoutMs: number },
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw deliveryErrorForRequest(error);
  }
  // The body is read whole, so that the connection goes back to the pool.
  const body = await response.text().catch(() => '');

  if (response.status < 200 || response.status >= 300) {
    throw deliveryErrorForStatus(response.status);
  }
  const refusal = refusalInBody(body);
  if (refusal) throw DeliveryError.permanent(`HTTP ${response.status} with ${refusal}`);
}

/** The field of a JSON body that says the post failed; its text is never kept (it may echo). */
function refusalInBody(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { ok, success } = parsed as { ok?: unknown; success?: unknown };
  if (ok === false) return 'ok: false';

  return success === false ? 'success: false' : undefined;
}
