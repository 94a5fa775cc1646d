import { Injectable } from '@nestjs/common';

/** Counters for GET /_sandbox/stats: what the product asked of "GHL" and how it went. */
@Injectable()
export class StatsService {
  private requests = emptyRequests();
  private oauth = { codeExchanges: 0, refreshes: 0, refreshRejected: 0 };
  private webhooks = { sent: 0, failed: 0 };

  recordRequest(status: number, locationId: string | undefined): void {
    this.requests.total += 1;
    const statusKey = String(status);
    this.requests.byStatus[statusKey] = (this.requests.byStatus[statusKey] ?? 0) + 1;
    if (locationId) {
      this.requests.byLocation[locationId] = (this.requests.byLocation[locationId] ?? 0) + 1;
      const statuses = (this.requests.byLocationStatus[locationId] ??= {});
      statuses[statusKey] = (statuses[statusKey] ?? 0) + 1;
    }
  }

  recordOAuth(event: 'codeExchanges' | 'refreshes' | 'refreshRejected'): void {
    this.oauth[event] += 1;
  }

  recordWebhook(delivered: boolean): void {
    if (delivered) this.webhooks.sent += 1;
    else this.webhooks.failed += 1;
  }

  snapshot() {
    return {
      requests: structuredClone(this.requests),
      oauth: { ...this.oauth },
      webhooks: { ...this.webhooks },
    };
  }

  reset(): void {
    this.requests = emptyRequests();
    this.oauth = { codeExchanges: 0, refreshes: 0, refreshRejected: 0 };
    this.webhooks = { sent: 0, failed: 0 };
  }
}

function emptyRequests() {
  return {
    total: 0,
    byStatus: {} as Record<string, number>,
    byLocation: {} as Record<string, number>,
    /** Per location, its answers by status: what a benchmark needs to measure one budget. */
    byLocationStatus: {} as Record<string, Record<string, number>>,
  };
}
