import { createHash, timingSafeEqual } from 'node:crypto';

import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';

import { bearerCredential } from '@sm/platform';

import { AUTH_CONFIG } from '../config/auth-config.token';
import type { AuthServiceConfig } from '../config/auth-service.config';

/**
 * The sync workers' credential: `Authorization: Bearer <SERVICE_TOKEN>`. Compared in constant
 * time over SHA-256 digests, so that neither the content nor the length leaks through timing.
 */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(AUTH_CONFIG) config: AuthServiceConfig) {
    this.expected = digest(config.SERVICE_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    if (!this.isServiceCredential(header)) {
      throw new UnauthorizedException({ error: 'unauthorized' });
    }

    return true;
  }

  /** Whether an `Authorization` header carries the service token. */
  isServiceCredential(header: string | undefined): boolean {
    const presented = bearerCredential(header) ?? '';

    return timingSafeEqual(digest(presented), this.expected);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
