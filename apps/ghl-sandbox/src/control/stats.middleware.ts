import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';

import { AuthenticatedRequest } from '../oauth/ghl-access.guard';
import { StatsService } from './stats.service';

/** Counts every answer of the GHL surface by status and location. */
@Injectable()
export class StatsMiddleware implements NestMiddleware {
  constructor(private readonly stats: StatsService) {}

  use(request: AuthenticatedRequest, response: Response, next: NextFunction): void {
    response.once('finish', () => {
      const locationId = request.ghlToken?.locationId ?? queryLocation(request);
      this.stats.recordRequest(response.statusCode, locationId);
    });
    next();
  }
}

function queryLocation(request: AuthenticatedRequest): string | undefined {
  const value = request.query?.locationId;

  return typeof value === 'string' ? value : undefined;
}
