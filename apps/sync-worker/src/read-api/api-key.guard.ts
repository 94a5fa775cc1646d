import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';

import { bearerCredential } from '@sm/platform';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import type { RequestWithPrincipal } from './api-principal';
import { digestApiKey, ReadApiKey } from './read-api-keys';

interface IncomingHeaders {
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * Read API routes answer to `Authorization: Bearer <key>` or `X-Api-Key: <key>`, for one of the
 * keys in `READ_API_KEYS`. Every configured digest is compared, in constant time, whatever the
 * first match: the time taken tells nothing about which key is close.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ReadApiKey[];

  constructor(@Inject(SYNC_WORKER_CONFIG) config: SyncWorkerConfig) {
    this.keys = config.READ_API_KEYS;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IncomingHeaders & RequestWithPrincipal>();
    const presented = presentedKey(request);
    if (!presented) throw new UnauthorizedException('an API key is required');

    const digest = digestApiKey(presented);
    let match: ReadApiKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, digest)) match = key;
    }
    if (!match) throw new UnauthorizedException('unknown API key');

    request.apiPrincipal = { name: match.name, locations: new Set(match.locations) };

    return true;
  }
}

function presentedKey(request: IncomingHeaders): string | undefined {
  const headers = request.headers ?? {};
  const bearer = bearerCredential(headers.authorization);
  if (bearer !== undefined) return bearer;
  const apiKey = headers['x-api-key'];

  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}
