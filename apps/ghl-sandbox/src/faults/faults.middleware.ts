import { Injectable, NestMiddleware, OnModuleDestroy } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

import { FaultsService } from './faults.service';

/**
 * Applies latency, 500s and dropped requests to the GHL surface (never to /_sandbox or /health),
 * before any other check, as a failing upstream would.
 */
@Injectable()
export class FaultsMiddleware implements NestMiddleware, OnModuleDestroy {
  private readonly held = new Set<{ timer: NodeJS.Timeout; request: Request }>();

  constructor(private readonly faults: FaultsService) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const settings = this.faults.settings;
    const proceed = () => this.decide(request, response, next);
    if (settings.latencyMs > 0) setTimeout(proceed, settings.latencyMs);
    else proceed();
  }

  onModuleDestroy(): void {
    for (const hold of this.held) {
      clearTimeout(hold.timer);
      hold.request.socket.destroy();
    }
    this.held.clear();
  }

  private decide(request: Request, response: Response, next: NextFunction): void {
    const settings = this.faults.settings;
    const isTimeout = settings.timeoutRate > 0 && Math.random() < settings.timeoutRate;
    if (isTimeout) return this.hold(request, settings.timeoutHoldMs);

    const isError = settings.errorRate > 0 && Math.random() < settings.errorRate;
    if (isError) {
      response.status(500).json({ statusCode: 500, message: 'Internal server error' });

      return;
    }
    next();
  }

  /** Never answers: the client's response timeout must fire. The socket is dropped at the end. */
  private hold(request: Request, holdMs: number): void {
    const hold = {
      request,
      timer: setTimeout(() => {
        this.held.delete(hold);
        request.socket.destroy();
      }, holdMs),
    };
    this.held.add(hold);
    request.socket.once('close', () => {
      clearTimeout(hold.timer);
      this.held.delete(hold);
    });
  }
}
