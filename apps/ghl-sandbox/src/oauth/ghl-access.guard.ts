import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  HttpException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';

import { RateLimitService } from '../rate-limit/rate-limit.service';
import { GHL_ENDPOINT, GhlEndpointOptions } from './ghl-endpoint.decorator';
import { AccessToken, TokenStore } from './token-store.service';

export const GHL_API_VERSION = '2021-07-28';

export type AuthenticatedRequest = Request & { ghlToken?: AccessToken };

/** The checks GHL makes before any API call: version header, bearer token, scope, rate. */
@Injectable()
export class GhlAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenStore,
    private readonly rateLimits: RateLimitService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const endpoint = this.reflector.getAllAndOverride<GhlEndpointOptions | undefined>(
      GHL_ENDPOINT,
      [context.getHandler(), context.getClass()],
    );
    if (!endpoint) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    checkVersion(request);
    const token = this.authenticate(request, endpoint);
    request.ghlToken = token;
    this.spend(token.locationId ?? token.companyId, response);

    return true;
  }

  private authenticate(request: Request, endpoint: GhlEndpointOptions): AccessToken {
    const header = request.headers.authorization ?? '';
    const [scheme, value] = header.split(' ');
    const token = scheme === 'Bearer' && value ? this.tokens.accessToken(value) : undefined;
    if (!token) throw new UnauthorizedException('Invalid token: access token is invalid');
    if (token.expiresAt <= Date.now()) throw new UnauthorizedException('Invalid JWT');

    const userTypes = endpoint.userTypes ?? ['Location'];
    if (!userTypes.includes(token.userType)) {
      throw new UnauthorizedException(
        `This route needs a ${userTypes.join(' or ')} token, not a ${token.userType} token`,
      );
    }
    const hasScope = endpoint.scopes.some((scope) => token.scopes.includes(scope));
    if (!hasScope) {
      throw new UnauthorizedException(
        `The token is not authorized for this scope: needs ${endpoint.scopes.join(' or ')}`,
      );
    }

    return token;
  }

  private spend(resourceId: string, response: Response): void {
    const decision = this.rateLimits.consume(resourceId);
    for (const [name, value] of Object.entries(decision.headers)) response.setHeader(name, value);
    if (!decision.allowed) {
      throw new HttpException({ statusCode: 429, message: 'Too Many Requests' }, 429);
    }
  }
}

function checkVersion(request: Request): void {
  const version = request.headers['version'];
  if (version === undefined) throw new BadRequestException('Version header was not found');
  if (version !== GHL_API_VERSION) throw new BadRequestException(`Version ${version} is invalid`);
}
