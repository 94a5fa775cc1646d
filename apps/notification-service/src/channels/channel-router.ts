import { Inject, Injectable } from '@nestjs/common';

import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';
import type { NotificationAudience } from '../messages/notification-message';

import type { ChannelRoute } from './notification-channel';
import { SLACK_CHANNEL_ID } from './slack-webhook.channel';

/**
 * Decides where an audience's messages go. A location's team uses its own route when
 * NOTIFY_TEAM_ROUTES has one, else the default team channel; admins have one channel.
 */
@Injectable()
export class ChannelRouter {
  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  routeFor(audience: NotificationAudience, locationId: string | null): ChannelRoute | null {
    return audience === 'admin' ? this.adminRoute() : this.teamRoute(locationId);
  }

  private teamRoute(locationId: string | null): ChannelRoute | null {
    const routed = locationId ? this.config.NOTIFY_TEAM_ROUTES[locationId] : undefined;
    const destination = routed ?? this.config.NOTIFY_TEAM_SLACK_WEBHOOK_URL;

    return destination ? { channel: SLACK_CHANNEL_ID, destination } : null;
  }

  private adminRoute(): ChannelRoute | null {
    const destination = this.config.NOTIFY_ADMIN_SLACK_WEBHOOK_URL;

    return destination ? { channel: SLACK_CHANNEL_ID, destination } : null;
  }
}
