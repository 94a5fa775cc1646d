import { DynamicModule, Module } from '@nestjs/common';

import { INGRESS_CONFIG, WebhookIngressConfig } from '../config/webhook-ingress.config';
import { GhlWebhookController } from './ghl-webhook.controller';
import { GhlWebhookRoute } from './ghl-webhook.route';
import { WebhookInboxRepository } from './inbox/webhook-inbox.repository';
import { WebhookSweeper } from './inbox/webhook-sweeper.service';
import { WebhookDispatcher } from './queueing/webhook-dispatcher.service';
import { WebhookSignatureService } from './signatures/webhook-signature.service';
import { WebhookReceiverService } from './webhook-receiver.service';

/** Receiving GHL webhooks: verify, record in the inbox, route to a queue, sweep what Redis lost. */
@Module({})
export class WebhooksModule {
  static forRoot(config: WebhookIngressConfig): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [GhlWebhookController],
      providers: [
        { provide: INGRESS_CONFIG, useValue: config },
        WebhookSignatureService,
        WebhookInboxRepository,
        WebhookDispatcher,
        WebhookReceiverService,
        GhlWebhookRoute,
        WebhookSweeper,
      ],
    };
  }
}
