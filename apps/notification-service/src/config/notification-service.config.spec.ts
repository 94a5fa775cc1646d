import { loadConfig } from '@sm/config';

import { notificationServiceEnv } from './notification-service.config';

describe('notification-service configuration', () => {
  it('has working defaults and no channel until one is configured', () => {
    const config = loadConfig(notificationServiceEnv, {});

    expect(config).toMatchObject({
      PORT: 3004,
      NOTIFY_DELIVERY_ATTEMPTS: 5,
      NOTIFY_BACKOFF_MS: 2_000,
      NOTIFY_RATE_PER_MINUTE: 60,
      NOTIFY_TEAM_ROUTES: {},
    });
    expect(config.NOTIFY_TEAM_SLACK_WEBHOOK_URL).toBeUndefined();
    expect(config.NOTIFY_ADMIN_SLACK_WEBHOOK_URL).toBeUndefined();
  });

  it('reads per-location team routes', () => {
    const routes = { 'loc-1': 'https://hooks.example.test/services/T/B/one' };

    const config = loadConfig(notificationServiceEnv, {
      NOTIFY_TEAM_ROUTES: JSON.stringify(routes),
    });

    expect(config.NOTIFY_TEAM_ROUTES).toEqual(routes);
  });

  it.each([
    ['not JSON', '{loc-1: https://x}', /NOTIFY_TEAM_ROUTES: must be a JSON object/],
    ['a list', '["https://hooks.example.test/a"]', /NOTIFY_TEAM_ROUTES: must map location ids/],
    ['a bad URL', '{"loc-1":"ftp://hooks.example.test/a"}', /NOTIFY_TEAM_ROUTES.loc-1: must be/],
  ])('refuses routes that are %s', (_what, value, message) => {
    expect(() => loadConfig(notificationServiceEnv, { NOTIFY_TEAM_ROUTES: value })).toThrow(
      message,
    );
  });

  it('names a bad webhook URL without printing it', () => {
    const attempt = () =>
      loadConfig(notificationServiceEnv, { NOTIFY_ADMIN_SLACK_WEBHOOK_URL: 'hooks/secret-path' });

    expect(attempt).toThrow(/NOTIFY_ADMIN_SLACK_WEBHOOK_URL/);
    expect(attempt).not.toThrow(/secret-path/);
  });
});
