import { HttpException } from '@nestjs/common';

/** GHL's error bodies (vendor/ghl/openapi/common/common-schemas.json, v3 NotFoundDTO for 404). */
export const badRequest = (message: string) => new HttpException({ statusCode: 400, message }, 400);

export const notFound = (message: string) => new HttpException({ statusCode: 404, message }, 404);

export const forbidden = (message: string) =>
  new HttpException({ statusCode: 403, message, error: 'Forbidden' }, 403);

export const unprocessable = (messages: string[]) =>
  new HttpException({ statusCode: 422, message: messages, error: 'Unprocessable Entity' }, 422);
