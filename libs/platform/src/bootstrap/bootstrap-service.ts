import { INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';

import { Logger, PinoLogger } from 'nestjs-pino';

import { boundShutdown } from './bounded-shutdown';
import { answerClientError } from './answer-client-error';
import { closeConnectionsOnShutdown } from './close-connections-on-shutdown';
import { INSTANCE_ID_ENV, instanceIdentity } from './instance-identity';
import { rejectNulBytes } from './reject-nul-bytes';

/** How long a client may take, in milliseconds; see {@link DEFAULT_HTTP_TIMEOUTS}. */
export interface HttpTimeouts {
  /** From a request's first byte to the end of its headers. */
  headersMs: number;
  /** From a request's first byte to the end of its body. */
  requestMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveMs: number;
}

/**
 * Node's own defaults hold a stalled request for 300 s and slow headers for 60 s. Our requests
 * are small (webhook bodies are capped at 1 MiB), so 30 s is generous for a real client and
 * short for one that holds a socket open on purpose. Keep-alive outlives the 60 s idle timeout
 * of nginx' upstream keep-alive and of most cloud load balancers, so that the balancer, not us,
 * closes an idle connection and never sends a request onto one we are closing.
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: 30_000,
  requestMs: 30_000,
  keepAliveMs: 65_000,
};

export interface ServiceSettings {
  host: string;
  port: number;
  /** Keep the raw request body (the webhook ingress verifies signatures over it). */
  rawBody?: boolean;
  bodyLimit?: string;
  /** `false` leaves the request stream unread, for a service that reads bodies itself. */
  bodyParser?: boolean;
  /** Defaults to {@link DEFAULT_HTTP_TIMEOUTS}. */
  timeouts?: Partial<HttpTimeouts>;
  /** How long a shutdown may take before the process ends anyway; unbounded if unset. */
  shutdownTimeoutMs?: number;
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
  const identity = instanceIdentity(process.env[INSTANCE_ID_ENV]);
  if (identity) app.use(identity);
  app.enableShutdownHooks();
  const serverLogger = await app.resolve(PinoLogger);
  serverLogger.setContext('HttpServer');
  if (settings.shutdownTimeoutMs) boundShutdown(settings.shutdownTimeoutMs, serverLogger);
  guardHttpServer(app.getHttpServer(), serverLogger, settings.timeouts);
  await app.listen(settings.port, settings.host);
  closeConnectionsOnShutdown(app.getHttpServer());

  return app;
}

/**
 * Bounds how long a client may hold a connection, and answers the requests Node's HTTP layer
 * refuses (malformed, oversized headers, too slow) with a JSON body like every other refusal.
 */
function guardHttpServer(server: Server, logger: PinoLogger, timeouts: Partial<HttpTimeouts> = {}) {
  const { headersMs, requestMs, keepAliveMs } = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  server.requestTimeout = requestMs;
  // Node refuses a headers timeout longer than the request's.
  server.headersTimeout = Math.min(headersMs, requestMs);
  server.keepAliveTimeout = keepAliveMs;
  // Node checks these timeouts only every 30 s by default, so a 30 s limit would cut a stalled
  // client off after 30 to 60 s; a check every second (or quicker for shorter limits) keeps the
  // limit what it says. Read by Node when the server starts listening.
  const checked = server as Server & { connectionsCheckingInterval: number };
  checked.connectionsCheckingInterval = Math.max(10, Math.min(1_000, server.headersTimeout / 4));
  server.on('clientError', answerClientError(logger));
}

/** The port a started service listens on (useful when it was asked for port 0). */
export function listeningPort(app: INestApplication): number {
  const address = app.getHttpServer().address();

  return typeof address === 'object' && address ? address.port : 0;
}
