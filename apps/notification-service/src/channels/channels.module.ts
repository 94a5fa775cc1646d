import { Module } from '@nestjs/common';

import {
  NOTIFICATION_SERVICE_CONFIG,
  NotificationServiceConfig,
} from '../config/notification-service.config';

import { ChannelRegistry } from './channel-registry';
import { ChannelRouter } from './channel-router';
import { EmailChannel } from './email.channel';
import { NOTIFICATION_CHANNELS, NotificationChannel } from './notification-channel';
import { SignedWebhookChannel } from './signed-webhook.channel';
import { SlackWebhookChannel } from './slack-webhook.channel';

/**
 * The channels and the routing of recipients to them. Slack is always there; email and the
 * signed webhook exist once their settings are (the config refuses routes to a channel without
 * them). A new channel is added to the list.
 */
export function configuredChannels(config: NotificationServiceConfig): NotificationChannel[] {
  const requestTimeoutMs = config.NOTIFY_REQUEST_TIMEOUT_MS;
  const channels: NotificationChannel[] = [new SlackWebhookChannel({ requestTimeoutMs })];
  if (config.NOTIFY_SMTP_URL && config.NOTIFY_EMAIL_FROM) {
    channels.push(
      new EmailChannel({
        smtpUrl: config.NOTIFY_SMTP_URL,
        from: config.NOTIFY_EMAIL_FROM,
        requestTimeoutMs,
      }),
    );
  }
  if (config.NOTIFY_WEBHOOK_SIGNING_SECRET) {
    channels.push(
      new SignedWebhookChannel({
        signingSecret: config.NOTIFY_WEBHOOK_SIGNING_SECRET,
        requestTimeoutMs,
      }),
    );
  }

  return channels;
}

@Module({
  providers: [
    {
      provide: NOTIFICATION_CHANNELS,
      inject: [NOTIFICATION_SERVICE_CONFIG],
      useFactory: configuredChannels,
    },
    ChannelRegistry,
    ChannelRouter,
  ],
  exports: [ChannelRegistry, ChannelRouter],
})
export class ChannelsModule {}
