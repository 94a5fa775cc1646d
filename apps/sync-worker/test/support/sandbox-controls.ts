import { GhlRecord, SandboxExport } from './ghl-records';

/**
 * How the sandbox answers for a while: `latencyMs` added to every call, `errorRate` of 500s,
 * `timeoutRate` of calls never answered (the socket dropped after `timeoutHoldMs`).
 */
export interface SandboxFaults {
  latencyMs?: number;
  errorRate?: number;
  timeoutRate?: number;
  timeoutHoldMs?: number;
}

/** What the sandbox answers a change with: the record as GHL now has it, and its webhooks. */
export interface SandboxChange {
  record: GhlRecord;
  webhooks: unknown[];
}

/**
 * The GHL sandbox's test-only `/_sandbox` routes: what a spec reads from GHL's side, changes
 * there as a GHL user would, and the faults it makes GHL show.
 */
export class SandboxControls {
  constructor(readonly url: string) {}

  /** Every record the sandbox holds for the location, in GHL's wire shape. */
  async export(locationId: string): Promise<SandboxExport> {
    const response = await fetch(`${this.url}/_sandbox/export/${locationId}`);

    return response.json() as Promise<SandboxExport>;
  }

  /** Applies one change in GHL (`kind` as `contact.update`, `task.complete`, …). */
  async change(locationId: string, body: Record<string, unknown>): Promise<SandboxChange> {
    const response = await fetch(`${this.url}/_sandbox/locations/${locationId}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);

    return response.json() as Promise<SandboxChange>;
  }

  /** Sets the faults, or mends the sandbox with `null`. */
  async faults(faults: SandboxFaults | null): Promise<void> {
    await fetch(`${this.url}/_sandbox/faults`, {
      method: faults ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: faults ? JSON.stringify(faults) : undefined,
    });
  }

  /** Runs `work` while the sandbox shows the faults, then mends it. */
  async withFaults<T>(faults: SandboxFaults, work: () => Promise<T>): Promise<T> {
    await this.faults(faults);
    try {
      return await work();
    } finally {
      await this.faults(null);
    }
  }

  /** Where the sandbox sends its webhooks from now on. */
  async webhookTarget(url: string): Promise<void> {
    await fetch(`${this.url}/_sandbox/webhook-target`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url }),
    });
  }
}
