import { deliveryErrorForRequest, deliveryErrorForStatus } from './delivery-error';

describe('delivery failures', () => {
  it('retries throttling and server errors, and gives up on anything else', () => {
    expect([429, 500, 503, 408].map((status) => deliveryErrorForStatus(status).permanent)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect([400, 403, 404, 302].map((status) => deliveryErrorForStatus(status).permanent)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('describes a failed request by its code, never by the URL in its message', () => {
    const refused = Object.assign(new TypeError('fetch failed to https://hooks.test/T/B/secret'), {
      cause: { code: 'ECONNREFUSED' },
    });

    const failure = deliveryErrorForRequest(refused);

    expect(failure.reason).toBe('request failed: ECONNREFUSED');
    expect(failure.permanent).toBe(false);
  });
});
