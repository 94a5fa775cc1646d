import { loadConfig } from '@sm/config';

import { notificationServiceEnv } from './notification-service.config';

const hook = 'https://hooks.example.test/services/T/B/x';
const withEmail = {
  NOTIFY_SMTP_URL: 'smtp://user:pass@127.0.0.1:2525',
  NOTIFY_EMAIL_FROM: 'notices@example.test',
};

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

  it('refuses a request timeout longer than a Node timer holds (it would fire after 1 ms)', () => {
    const attempt = () =>
      loadConfig(notificationServiceEnv, { NOTIFY_REQUEST_TIMEOUT_MS: '2147483648' });

    expect(attempt).toThrow(/NOTIFY_REQUEST_TIMEOUT_MS: must be at most 2147483647 \(/);
  });

  it('refuses a backoff longer than a Node timer holds, as every other *_MS', () => {
    const attempt = () => loadConfig(notificationServiceEnv, { NOTIFY_BACKOFF_MS: '99999999999' });

    expect(attempt).toThrow(/NOTIFY_BACKOFF_MS: must be at most 2147483647 \(/);
  });

  it.each(['notices', 'bad<>from', 'SolarMarket <>', 'a@example.test, b@example.test'])(
    'refuses a sender that is not one email address: %s',
    (from) => {
      const attempt = () =>
        loadConfig(notificationServiceEnv, {
          ...withEmail,
          NOTIFY_TEAM_EMAIL_TO: 'sales@example.test',
          NOTIFY_EMAIL_FROM: from,
        });

      expect(attempt).toThrow(/NOTIFY_EMAIL_FROM: must be an email address/);
    },
  );

  it('takes a sender as an address alone or after a display name', () => {
    const senders = ['notices@example.test', 'SolarMarket <notices@example.test>'];

    const read = senders.map(
      (from) => loadConfig(notificationServiceEnv, { NOTIFY_EMAIL_FROM: from }).NOTIFY_EMAIL_FROM,
    );

    expect(read).toEqual(senders);
  });

  it('reads every optional channel variable left empty (a blank Secret key) as unset', () => {
    const blank = Object.fromEntries(
      [
        'NOTIFY_TEAM_SLACK_WEBHOOK_URL',
        'NOTIFY_ADMIN_SLACK_WEBHOOK_URL',
        'NOTIFY_TEAM_SIGNED_WEBHOOK_URL',
        'NOTIFY_ADMIN_SIGNED_WEBHOOK_URL',
        'NOTIFY_TEAM_EMAIL_TO',
        'NOTIFY_ADMIN_EMAIL_TO',
        'NOTIFY_TEAM_ROUTES',
        'NOTIFY_SMTP_URL',
        'NOTIFY_EMAIL_FROM',
        'NOTIFY_WEBHOOK_SIGNING_SECRET',
      ].map((name) => [name, '']),
    );

    const config = loadConfig(notificationServiceEnv, blank);

    expect(config).toEqual(loadConfig(notificationServiceEnv, {}));
  });

  it('reads a per-location route given as a Slack webhook URL alone', () => {
    const routes = { 'loc-1': 'https://hooks.example.test/services/T/B/one' };

    const config = loadConfig(notificationServiceEnv, {
      NOTIFY_TEAM_ROUTES: JSON.stringify(routes),
    });

    expect(config.NOTIFY_TEAM_ROUTES).toEqual({
      'loc-1': { channels: { slack: routes['loc-1'] }, teams: {} },
    });
  });

  it('reads per-location and per-team channels', () => {
    const routes = {
      'loc-2': {
        slack: 'https://hooks.example.test/loc-2',
        email: ['sales@example.test'],
        teams: {
          roofing: { users: ['u-1', 'u-2'], email: ['roof@example.test', 'lead@example.test'] },
        },
      },
    };

    const config = loadConfig(notificationServiceEnv, {
      ...withEmail,
      NOTIFY_TEAM_ROUTES: JSON.stringify(routes),
    });

    expect(config.NOTIFY_TEAM_ROUTES['loc-2']).toEqual({
      channels: { slack: 'https://hooks.example.test/loc-2', email: ['sales@example.test'] },
      teams: {
        roofing: {
          users: ['u-1', 'u-2'],
          channels: { email: ['roof@example.test', 'lead@example.test'] },
        },
      },
    });
  });

  it.each([
    ['a team without a channel', { teams: { roofing: { users: ['u-1'] } } }, /must name a channel/],
    [
      'a user in two teams',
      { teams: { a: { users: ['u-1'], slack: hook }, b: { users: ['u-1'], slack: hook } } },
      /teams.b.users: user u-1 is also in team a/,
    ],
    ['an unknown channel', { sms: ['+1555'] }, /Unrecognized key/],
    ['a bad address', { email: ['not-an-address'] }, /email.0: must be an email address/],
  ])('refuses a route object with %s', (_what, route, message) => {
    const env = { ...withEmail, NOTIFY_TEAM_ROUTES: JSON.stringify({ 'loc-1': route }) };

    expect(() => loadConfig(notificationServiceEnv, env)).toThrow(message);
  });

  it('refuses email routes without an SMTP server and a sender', () => {
    const attempt = () =>
      loadConfig(notificationServiceEnv, { NOTIFY_ADMIN_EMAIL_TO: 'ops@example.test' });

    expect(attempt).toThrow(/NOTIFY_SMTP_URL: is required when a route sends email/);
    expect(attempt).toThrow(/NOTIFY_EMAIL_FROM: is required when a route sends email/);
  });

  it('refuses a signed-webhook route without a signing secret', () => {
    const routes = { 'loc-1': { webhook: 'http://crm.internal.test/hooks/notices' } };

    const attempt = () =>
      loadConfig(notificationServiceEnv, { NOTIFY_TEAM_ROUTES: JSON.stringify(routes) });

    expect(attempt).toThrow(/NOTIFY_WEBHOOK_SIGNING_SECRET: is required/);
  });

  it('reads comma-separated recipients and names a bad SMTP URL without printing it', () => {
    const config = loadConfig(notificationServiceEnv, {
      ...withEmail,
      NOTIFY_TEAM_EMAIL_TO: 'a@example.test, b@example.test',
    });
    const attempt = () =>
      loadConfig(notificationServiceEnv, { NOTIFY_SMTP_URL: 'mail.example.test:hunter2' });

    expect(config.NOTIFY_TEAM_EMAIL_TO).toEqual(['a@example.test', 'b@example.test']);
    expect(attempt).toThrow(/NOTIFY_SMTP_URL/);
    expect(attempt).not.toThrow(/hunter2/);
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

  it('refuses a webhook URL with a user name or password, without printing it', () => {
    const attempt = () =>
      loadConfig(notificationServiceEnv, {
        NOTIFY_TEAM_SIGNED_WEBHOOK_URL: 'https://svc:pa55word@hooks.example.com/notify',
        NOTIFY_WEBHOOK_SIGNING_SECRET: 'a-signing-secret-0123456789abcdef',
      });

    expect(attempt).toThrow(/NOTIFY_TEAM_SIGNED_WEBHOOK_URL: must carry no user name or password/);
    expect(attempt).not.toThrow(/pa55word/);
  });
});
