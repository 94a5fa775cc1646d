import { deliveryErrorForRequest, deliveryErrorForStatus } from './delivery-error';

/**
 * POSTs one body and resolves on a 2xx; throws a `DeliveryError` otherwise. Redirects are not
 * followed: a webhook that moved is a configuration to fix, not a hop to take with the body.
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
  // The body is read and dropped so that the connection goes back to the pool.
  await response.arrayBuffer().catch(() => undefined);

  if (response.status < 200 || response.status >= 300) {
    throw deliveryErrorForStatus(response.status);
  }
}
