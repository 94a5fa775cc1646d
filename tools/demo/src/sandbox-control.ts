/** The sandbox's `/_sandbox` control API (docs/sandbox.md), as the demo and tests use it. */

/** A GHL record as the sandbox returns it: GHL's own field names. */
export interface SandboxRecord {
  id: string;
  contactId?: string;
  completed?: boolean;
  tags?: string[];
  [field: string]: unknown;
}

export interface SandboxExport {
  location: Record<string, unknown>;
  contacts: SandboxRecord[];
  tasks: SandboxRecord[];
  notes: SandboxRecord[];
  appointments: SandboxRecord[];
}

export interface SandboxStats {
  locations: { locationId: string; [kind: string]: unknown }[];
  [section: string]: unknown;
}

export interface ChangeResult {
  record: SandboxRecord;
  webhooks: { type: string; status: number }[];
}

export class SandboxControl {
  constructor(readonly baseUrl: string) {}

  export(locationId: string): Promise<SandboxExport> {
    return this.call('GET', `/_sandbox/export/${locationId}`);
  }

  stats(): Promise<SandboxStats> {
    return this.call('GET', '/_sandbox/stats');
  }

  change(locationId: string, change: Record<string, unknown>): Promise<ChangeResult> {
    return this.call('POST', `/_sandbox/locations/${locationId}/changes`, change);
  }

  setFaults(faults: Record<string, unknown>): Promise<unknown> {
    return this.call('POST', '/_sandbox/faults', faults);
  }

  sendWebhook(payload: Record<string, unknown>, signing: string): Promise<{ status: number }> {
    return this.call('POST', '/_sandbox/webhooks/send', { payload, signing });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path} → ${response.status}: ${text}`);

    return (text ? JSON.parse(text) : undefined) as T;
  }
}
