import { Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

import { WebhookReceiverService } from './webhook-receiver.service';

/**
 * GHL's deliveries. The app runs without Nest's body parser: the signature is over the exact
 * bytes, which the receiver reads from the request stream itself.
 */
@Controller('webhooks')
export class GhlWebhookController {
  constructor(private readonly receiver: WebhookReceiverService) {}

  @Post('ghl')
  async receive(@Req() request: Request, @Res() response: Response): Promise<void> {
    const answer = await this.receiver.receive(request);
    if (!answer || response.headersSent) return;

    response
      .status(answer.statusCode)
      .set(answer.headers ?? {})
      .json(answer.body);
  }
}
