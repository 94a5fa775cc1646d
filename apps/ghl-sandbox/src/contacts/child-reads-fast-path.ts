import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

import { SANDBOX_CONFIG } from '../config/sandbox-config.token';
import { SandboxConfig } from '../config/sandbox.config';
import { StatsService } from '../control/stats.service';
import { SandboxStore } from '../dataset/sandbox-store.service';
import { FaultsService } from '../faults/faults.service';
import { GHL_API_VERSION } from '../oauth/ghl-access.guard';
import { TokenStore } from '../oauth/token-store.service';

/** GET /contacts/:contactId/{tasks,notes,appointments}, with a plain id and no query. */
const CHILD_READ = /^\/contacts\/([A-Za-z0-9_-]+)\/(tasks|notes|appointments)$/;
const READ_SCOPE = 'contacts.readonly';
/** The key each list is answered under (GHL calls a contact's appointments `events`). */
const ANSWER_KEY = { tasks: 'tasks', notes: 'notes', appointments: 'events' } as const;
/** Levels at which the request logger writes nothing for a 200. */
const QUIET_LEVELS = new Set(['fatal', 'error', 'warn', 'silent']);

/**
 * The per-contact child lists are what a full sync asks for most (two calls per contact), and
 * through Express, Nest's middleware, the request logger and the guard each answer cost the
 * sandbox several times what building it does. This answers them straight from the HTTP server,
 * but only the plain case: a GET that every check would let through (version, a live Location
 * token with `contacts.readonly` for the contact's location, no fault knob or rate limit set,
 * a known contact, no conditional header, logging quiet for a 200). Anything else goes to the
 * full stack untouched, so every error and edge answer is the one it always was. The 200 is
 * byte for byte what Express sends: the same headers (its weak ETag included) and body, and the
 * request is counted in the stats the same way.
 */
@Injectable()
export class ChildReadsFastPath implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig,
    private readonly store: SandboxStore,
    private readonly tokens: TokenStore,
    private readonly faults: FaultsService,
    private readonly stats: StatsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!QUIET_LEVELS.has(this.config.LOG_LEVEL)) return;
    const server: Server = this.adapterHost.httpAdapter.getHttpServer();
    const fullStack = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.answer(request, response)) return;
      for (const listener of fullStack) listener(request, response);
    });
  }

  /** Answers the request when it is the plain case; says whether it did. */
  private answer(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'GET') return false;
    const match = CHILD_READ.exec(request.url ?? '');
    if (!match || !this.isPlain(request)) return false;

    const token = this.liveReadToken(request);
    const dataset = token?.locationId ? this.store.location(token.locationId) : undefined;
    const [, contactId, kind] = match as unknown as [string, string, keyof typeof ANSWER_KEY];
    if (!token || !dataset || !dataset.contacts.has(contactId)) return false;

    const { body, length, etag } = answerOf(dataset.childrenOf(contactId)[kind], kind);
    response.writeHead(200, {
      'X-Powered-By': 'Express',
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': length,
      ETag: etag,
    });
    response.end(body);
    this.stats.recordRequest(200, token.locationId);

    return true;
  }

  /** No fault knob and no rate limit in play, no conditional GET, the right Version header. */
  private isPlain(request: IncomingMessage): boolean {
    const settings = this.faults.settings;
    const hasFaults = settings.latencyMs > 0 || settings.errorRate > 0 || settings.timeoutRate > 0;
    const hasRateLimits = settings.rateLimits || settings.force429 > 0;
    const isConditional =
      request.headers['if-none-match'] !== undefined ||
      request.headers['if-modified-since'] !== undefined;

    return (
      !hasFaults &&
      !hasRateLimits &&
      !isConditional &&
      request.headers['version'] === GHL_API_VERSION
    );
  }

  private liveReadToken(request: IncomingMessage) {
    const [scheme, value] = (request.headers.authorization ?? '').split(' ');
    const token = scheme === 'Bearer' && value ? this.tokens.accessToken(value) : undefined;
    const isUsable =
      token !== undefined &&
      token.expiresAt > Date.now() &&
      token.userType === 'Location' &&
      token.scopes.includes(READ_SCOPE);

    return isUsable ? token : undefined;
  }
}

interface ChildAnswer {
  body: string;
  length: string;
  etag: string;
}

/**
 * Answers of seeded children that no change has touched: their lists are frozen and served the
 * same every time, so each is serialized and hashed once (held only while the list is).
 */
const frozenAnswers = new WeakMap<readonly unknown[], ChildAnswer>();

function answerOf(records: readonly unknown[], kind: keyof typeof ANSWER_KEY): ChildAnswer {
  const known = frozenAnswers.get(records);
  if (known) return known;

  const body = JSON.stringify({ [ANSWER_KEY[kind]]: records });
  const answer = { body, length: String(Buffer.byteLength(body)), etag: weakEtag(body) };
  if (Object.isFrozen(records)) frozenAnswers.set(records, answer);

  return answer;
}

/** Express' default ETag: weak, the body's length in hex and the start of its SHA-1. */
function weakEtag(body: string): string {
  const hash = createHash('sha1').update(body, 'utf8').digest('base64').substring(0, 27);

  return `W/"${Buffer.byteLength(body).toString(16)}-${hash}"`;
}
