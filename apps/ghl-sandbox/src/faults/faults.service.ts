import { Inject, Injectable } from '@nestjs/common';

import { SANDBOX_CONFIG } from '../config/sandbox-config.token';
import { SandboxConfig } from '../config/sandbox.config';

/** GHL's published limits: 100 requests per 10 seconds and 200,000 a day, per location. */
export const GHL_BURST_LIMIT = 100;
export const GHL_BURST_WINDOW_MS = 10_000;
export const GHL_DAILY_LIMIT = 200_000;

export interface FaultSettings {
  /** Added before every GHL answer, in milliseconds. */
  latencyMs: number;
  /** Share (0–1) of GHL requests answered 500. */
  errorRate: number;
  /** Share (0–1) of GHL requests never answered (the socket is dropped after `timeoutHoldMs`). */
  timeoutRate: number;
  timeoutHoldMs: number;
  /** The next N GHL requests are answered 429 whatever the budget. */
  force429: number;
  rateLimits: boolean;
  burstLimit: number;
  burstWindowMs: number;
  dailyLimit: number;
  /** `expires_in` of access tokens issued from now on. */
  accessTokenTtlSeconds: number;
  /** Contacts added and updated on each cursor page of GET /contacts/ (true means 1). */
  mutateDuringWalk: number;
}

/** The fault knobs, set per test through POST /_sandbox/faults. */
@Injectable()
export class FaultsService {
  private current: FaultSettings;

  constructor(@Inject(SANDBOX_CONFIG) private readonly config: SandboxConfig) {
    this.current = this.defaults();
  }

  get settings(): Readonly<FaultSettings> {
    return this.current;
  }

  update(changes: Partial<Record<keyof FaultSettings, unknown>>): FaultSettings {
    const next = { ...this.current };
    const problems: string[] = [];
    for (const [key, raw] of Object.entries(changes)) {
      if (!(key in next)) {
        problems.push(`${key} is not a fault knob`);
        continue;
      }
      const value = normalize(key as keyof FaultSettings, raw);
      if (value === undefined) problems.push(`${key} has an invalid value`);
      else (next as Record<string, unknown>)[key] = value;
    }
    if (problems.length > 0) throw new FaultSettingsError(problems);
    this.current = next;

    return next;
  }

  reset(): FaultSettings {
    this.current = this.defaults();

    return this.current;
  }

  /** Takes one forced 429 if any is pending. */
  takeForced429(): boolean {
    if (this.current.force429 <= 0) return false;
    this.current.force429 -= 1;

    return true;
  }

  private defaults(): FaultSettings {
    return {
      latencyMs: 0,
      errorRate: 0,
      timeoutRate: 0,
      timeoutHoldMs: 120_000,
      force429: 0,
      rateLimits: this.config.SANDBOX_RATE_LIMITS,
      burstLimit: GHL_BURST_LIMIT,
      burstWindowMs: GHL_BURST_WINDOW_MS,
      dailyLimit: GHL_DAILY_LIMIT,
      accessTokenTtlSeconds: this.config.SANDBOX_ACCESS_TOKEN_TTL_SECONDS,
      mutateDuringWalk: 0,
    };
  }
}

export class FaultSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

function normalize(key: keyof FaultSettings, raw: unknown): number | boolean | undefined {
  if (key === 'rateLimits') return typeof raw === 'boolean' ? raw : undefined;
  if (key === 'mutateDuringWalk' && typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) return undefined;
  if (key === 'errorRate' || key === 'timeoutRate') return raw <= 1 ? raw : undefined;
  const mustBePositive = ['burstLimit', 'burstWindowMs', 'dailyLimit', 'accessTokenTtlSeconds'];
  if (mustBePositive.includes(key) && raw === 0) return undefined;

  return Math.floor(raw);
}
