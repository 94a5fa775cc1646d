import { Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { writeAnswer } from './ghl-webhook.route';
import { WebhookReceiverService } from './webhook-receiver.service';

/**
 * GHL's deliveries, for the spellings of the path that {@link GhlWebhookRoute} leaves to Express
 * (`/webhooks/ghl` itself is served ahead of Express). The app runs without Nest's body parser:
 * the signature is over the exact bytes, which the receiver reads from the request stream.
 */
@Controller('webhooks')
export class GhlWebhookController {
  constructor(private readonly receiver: WebhookReceiverService) {}

  @Post('ghl')
  async receive(@Req() request: Request, @Res() response: Response): Promise<void> {
    const answer = await this.receiver.receive(request);
    if (answer) writeAnswer(response, answer);
  }
}
