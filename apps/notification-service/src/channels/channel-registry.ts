import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';

import { NOTIFICATION_CHANNELS, NotificationChannel } from './notification-channel';

/** Every channel the service can deliver through, by id. */
@Injectable()
export class ChannelRegistry implements OnApplicationShutdown {
  private readonly channels: Map<string, NotificationChannel>;

  constructor(@Inject(NOTIFICATION_CHANNELS) channels: NotificationChannel[]) {
    this.channels = new Map(channels.map((channel) => [channel.id, channel]));
    if (this.channels.size !== channels.length) {
      throw new Error('Two notification channels share one id');
    }
  }

  all(): NotificationChannel[] {
    return [...this.channels.values()];
  }

  get(id: string): NotificationChannel | undefined {
    return this.channels.get(id);
  }

  /** After the delivery workers have stopped (module destroy), so no send is cut off. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map((channel) => channel.close?.()));
  }
}
