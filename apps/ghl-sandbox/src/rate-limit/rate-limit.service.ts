import { Injectable } from '@nestjs/common';

import { FaultsService } from '../faults/faults.service';

interface Budget {
  windowStartedAt: number;
  inWindow: number;
  day: string;
  today: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The X-RateLimit-* headers to send; empty when limits are off. */
  headers: Record<string, string>;
}

/**
 * GHL's limits per resource (location or company): a burst window that starts with its first
 * request, and a daily count that resets at UTC midnight. Refused requests are not counted.
 */
@Injectable()
export class RateLimitService {
  private readonly budgets = new Map<string, Budget>();

  constructor(private readonly faults: FaultsService) {}

  consume(resourceId: string, now = Date.now()): RateDecision {
    const settings = this.faults.settings;
    const isForced = this.faults.takeForced429();
    if (!settings.rateLimits && !isForced) return { allowed: true, headers: {} };

    const budget = this.current(resourceId, now);
    const allowed =
      !isForced && budget.inWindow < settings.burstLimit && budget.today < settings.dailyLimit;
    if (allowed) {
      budget.inWindow += 1;
      budget.today += 1;
    }

    return { allowed, headers: this.headers(budget, isForced) };
  }

  reset(): void {
    this.budgets.clear();
  }

  private current(resourceId: string, now: number): Budget {
    const { burstWindowMs } = this.faults.settings;
    const day = new Date(now).toISOString().slice(0, 10);
    const budget = this.budgets.get(resourceId) ?? {
      windowStartedAt: now,
      inWindow: 0,
      day,
      today: 0,
    };
    if (now - budget.windowStartedAt >= burstWindowMs) {
      budget.windowStartedAt = now;
      budget.inWindow = 0;
    }
    if (budget.day !== day) {
      budget.day = day;
      budget.today = 0;
    }
    this.budgets.set(resourceId, budget);

    return budget;
  }

  private headers(budget: Budget, isForced: boolean): Record<string, string> {
    const { burstLimit, burstWindowMs, dailyLimit } = this.faults.settings;
    const remaining = isForced ? 0 : Math.max(0, burstLimit - budget.inWindow);

    return {
      'X-RateLimit-Limit-Daily': String(dailyLimit),
      'X-RateLimit-Daily-Remaining': String(Math.max(0, dailyLimit - budget.today)),
      'X-RateLimit-Interval-Milliseconds': String(burstWindowMs),
      'X-RateLimit-Max': String(burstLimit),
      'X-RateLimit-Remaining': String(remaining),
    };
  }
}
