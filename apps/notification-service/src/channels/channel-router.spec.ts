import { loadConfig } from '@sm/config';

import { notificationServiceEnv } from '../config/notification-service.config';

import { ChannelRouter } from './channel-router';

const config = loadConfig(notificationServiceEnv, {
  NOTIFY_SMTP_URL: 'smtp://user:pass@127.0.0.1:2525',
  NOTIFY_EMAIL_FROM: 'notices@example.test',
  NOTIFY_WEBHOOK_SIGNING_SECRET: 'x'.repeat(32),
  NOTIFY_TEAM_SLACK_WEBHOOK_URL: 'https://hooks.example.test/default',
  NOTIFY_TEAM_EMAIL_TO: 'everyone@example.test',
  NOTIFY_ADMIN_EMAIL_TO: 'ops@example.test,oncall@example.test',
  NOTIFY_TEAM_ROUTES: JSON.stringify({
    'loc-1': {
      slack: 'https://hooks.example.test/loc-1',
      teams: { roofing: { users: ['u-roof'], webhook: 'https://crm.example.test/roofing' } },
    },
    'loc-teams-only': { teams: { roofing: { users: ['u-roof'], email: ['r@example.test'] } } },
  }),
});
const router = new ChannelRouter(config);

describe('ChannelRouter', () => {
  it("finds a user's team in the location's route only", () => {
    expect(router.teamOf('loc-1', 'u-roof')).toBe('roofing');
    expect(router.teamOf('loc-1', 'u-other')).toBeNull();
    expect(router.teamOf('loc-2', 'u-roof')).toBeNull();
    expect(router.teamOf('loc-1', null)).toBeNull();
  });

  it('uses the most specific route whole: team, then location, then the defaults', () => {
    const team = router.routesFor({ audience: 'team', locationId: 'loc-1', team: 'roofing' });
    const location = router.routesFor({ audience: 'team', locationId: 'loc-1', team: null });
    const other = router.routesFor({ audience: 'team', locationId: 'loc-2', team: null });

    expect(team).toEqual([{ channel: 'webhook', destination: 'https://crm.example.test/roofing' }]);
    expect(location).toEqual([
      { channel: 'slack', destination: 'https://hooks.example.test/loc-1' },
    ]);
    expect(other).toEqual([
      { channel: 'slack', destination: 'https://hooks.example.test/default' },
      { channel: 'email', destination: 'everyone@example.test' },
    ]);
  });

  it('routes nowhere for a location that lists teams only and an assignee outside them', () => {
    expect(
      router.routesFor({ audience: 'team', locationId: 'loc-teams-only', team: null }),
    ).toEqual([]);
  });

  it('sends admin alerts to every admin channel configured', () => {
    expect(router.routesFor({ audience: 'admin', locationId: 'loc-1', team: null })).toEqual([
      { channel: 'email', destination: 'ops@example.test,oncall@example.test' },
    ]);
  });
});
