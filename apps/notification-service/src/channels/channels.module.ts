import { Module } from '@nestjs/common';

import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';

import { ChannelRegistry } from './channel-registry';
import { ChannelRouter } from './channel-router';
import { NOTIFICATION_CHANNELS, NotificationChannel } from './notification-channel';
import { SlackWebhookChannel } from './slack-webhook.channel';

/** The channels and the routing of audiences to them. A new channel is added to the list. */
@Module({
  providers: [
    {
      provide: NOTIFICATION_CHANNELS,
      inject: [NOTIFICATION_SERVICE_CONFIG],
      useFactory: (config: NotificationServiceConfig): NotificationChannel[] => [
        new SlackWebhookChannel({ requestTimeoutMs: config.NOTIFY_REQUEST_TIMEOUT_MS }),
      ],
    },
    ChannelRegistry,
    ChannelRouter,
  ],
  exports: [ChannelRegistry, ChannelRouter],
})
export class ChannelsModule {}
