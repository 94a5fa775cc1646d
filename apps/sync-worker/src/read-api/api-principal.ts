import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Who is calling the read API: the key's name and the locations it may read. */
export interface ApiPrincipal {
  name: string;
  locations: ReadonlySet<string>;
}

export interface RequestWithPrincipal {
  apiPrincipal?: ApiPrincipal;
}

/** The principal the `ApiKeyGuard` attached to the request. */
export const Principal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ApiPrincipal => {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();

    return request.apiPrincipal as ApiPrincipal;
  },
);
