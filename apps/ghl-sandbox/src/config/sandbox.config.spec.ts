import { ConfigError, loadConfig } from '@sm/config';

import { sandboxConfigSchema } from './sandbox.config';

describe('sandbox configuration', () => {
  it('refuses a webhook URL that is not http(s), naming it', () => {
    const attempt = () =>
      loadConfig(sandboxConfigSchema, { SANDBOX_WEBHOOK_URL: 'ftp://127.0.0.1/webhooks/ghl' });

    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SANDBOX_WEBHOOK_URL: must be an http:\/\/ or https:\/\/ URL/);
  });

  it('takes the ingress URL, and none when unset', () => {
    const url = 'http://127.0.0.1:3002/webhooks/ghl';

    expect(loadConfig(sandboxConfigSchema, { SANDBOX_WEBHOOK_URL: url }).SANDBOX_WEBHOOK_URL).toBe(
      url,
    );
    expect(loadConfig(sandboxConfigSchema, {}).SANDBOX_WEBHOOK_URL).toBeUndefined();
  });
});
