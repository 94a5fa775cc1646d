import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';

import { bearerCredential } from '@sm/platform';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Admin routes answer only to `Authorization: Bearer <SERVICE_TOKEN>`. */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(SYNC_WORKER_CONFIG) config: SyncWorkerConfig) {
    this.expected = digest(config.SERVICE_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest().headers?.authorization;
    // Only the bearer scheme, as the auth service's guard: a bare token is no credential.
    const presented = bearerCredential(header) ?? '';
    if (!timingSafeEqual(digest(presented), this.expected)) throw new UnauthorizedException();

    return true;
  }
}
