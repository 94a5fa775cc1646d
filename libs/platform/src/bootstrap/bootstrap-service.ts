import { INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { rejectNulBytes } from './reject-nul-bytes';

export interface ServiceSettings {
  host: string;
  port: number;
  /** Keep the raw request body (the webhook ingress verifies signatures over it). */
  rawBody?: boolean;
  bodyLimit?: string;
  /** `false` leaves the request stream unread, for a service that reads bodies itself. */
  bodyParser?: boolean;
}

/**
 * Creates and starts a Nest HTTP service the same way everywhere: pino as the logger, shutdown
 * hooks on (SIGTERM drains queues and closes pools), listening on the configured port.
 */
export async function startService(
  module: Type<unknown> | ReturnType<typeof Object>,
  settings: ServiceSettings,
  options: NestApplicationOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    bufferLogs: true,
    rawBody: settings.rawBody,
    bodyParser: settings.bodyParser ?? options.bodyParser,
    ...options,
  });
  app.useLogger(app.get(Logger));
  app.use(rejectNulBytes);
  app.enableShutdownHooks();
  await app.listen(settings.port, settings.host);

  return app;
}

/** The port a started service listens on (useful when it was asked for port 0). */
export function listeningPort(app: INestApplication): number {
  const address = app.getHttpServer().address();

  return typeof address === 'object' && address ? address.port : 0;
}
