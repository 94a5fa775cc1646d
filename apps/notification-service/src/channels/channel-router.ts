import { Inject, Injectable } from '@nestjs/common';

import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';
import type { ChannelSet } from '../config/team-routes';
import type { NotificationAudience } from '../messages/notification-message';

import { EMAIL_CHANNEL_ID } from './email.channel';
import type { ChannelRoute } from './notification-channel';
import { SIGNED_WEBHOOK_CHANNEL_ID } from './signed-webhook.channel';
import { SLACK_CHANNEL_ID } from './slack-webhook.channel';

/** Who a message is for: an audience, and for a team notice its location and team. */
export interface Recipient {
  audience: NotificationAudience;
  locationId: string | null;
  /** A team named in the location's route; null for the location as a whole. */
  team: string | null;
}

/**
 * Decides where a recipient's messages go, through every channel its route names. The most
 * specific route that exists is used whole: a team's own channels, else its location's, else the
 * NOTIFY_TEAM_* defaults. Admins have the NOTIFY_ADMIN_* channels.
 */
@Injectable()
export class ChannelRouter {
  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  /** The team of a location that a GHL user belongs to, if its route names one. */
  teamOf(locationId: string, userId: string | null): string | null {
    if (!userId) return null;
    const teams = this.config.NOTIFY_TEAM_ROUTES[locationId]?.teams ?? {};
    const match = Object.entries(teams).find(([, team]) => team.users.includes(userId));

    return match?.[0] ?? null;
  }

  routesFor(recipient: Recipient): ChannelRoute[] {
    const channels =
      recipient.audience === 'admin' ? this.adminChannels() : this.teamChannels(recipient);

    return toRoutes(channels);
  }

  /** The one route of a recipient through one channel, when its configuration still has it. */
  routeThrough(recipient: Recipient, channel: string): ChannelRoute | undefined {
    return this.routesFor(recipient).find((route) => route.channel === channel);
  }

  private teamChannels({ locationId, team }: Recipient): ChannelSet {
    const location = locationId ? this.config.NOTIFY_TEAM_ROUTES[locationId] : undefined;
    const teamRoute = team ? location?.teams[team] : undefined;
    if (teamRoute) return teamRoute.channels;
    if (location) return location.channels;

    return {
      slack: this.config.NOTIFY_TEAM_SLACK_WEBHOOK_URL,
      email: this.config.NOTIFY_TEAM_EMAIL_TO,
      webhook: this.config.NOTIFY_TEAM_SIGNED_WEBHOOK_URL,
    };
  }

  private adminChannels(): ChannelSet {
    return {
      slack: this.config.NOTIFY_ADMIN_SLACK_WEBHOOK_URL,
      email: this.config.NOTIFY_ADMIN_EMAIL_TO,
      webhook: this.config.NOTIFY_ADMIN_SIGNED_WEBHOOK_URL,
    };
  }
}

function toRoutes(channels: ChannelSet): ChannelRoute[] {
  const routes: ChannelRoute[] = [];
  if (channels.slack) routes.push({ channel: SLACK_CHANNEL_ID, destination: channels.slack });
  if (channels.email?.length) {
    routes.push({ channel: EMAIL_CHANNEL_ID, destination: channels.email.join(',') });
  }
  if (channels.webhook) {
    routes.push({ channel: SIGNED_WEBHOOK_CHANNEL_ID, destination: channels.webhook });
  }

  return routes;
}
