import type { CallPriority } from '../ghl-client.contract';

export interface RateSlotRequest {
  priority: CallPriority;
  /** Epoch ms after which waiting is pointless: `acquire` rejects instead of waiting past it. */
  deadline: number;
  signal?: AbortSignal;
}

/** One granted call: handed back with its answer, so it is counted from when GHL answered. */
export interface RateSlot {
  id: string;
}

/** What one GHL answer said about the location's budget (`X-RateLimit-*` headers, status). */
export interface RateObservation {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The slot the call was granted; the call then counts from the answer, not the grant. */
  slot?: RateSlot;
}

/**
 * Keeps one location's GHL calls inside GHL's limits. `GhlClient` asks for a slot before every
 * HTTP call and reports every answer back.
 */
export interface RateGovernor {
  /** Resolves when one call may go out now; rejects with a `rate` GhlApiError past `deadline`. */
  acquire(locationId: string, request: RateSlotRequest): Promise<RateSlot | void>;
  /** Corrects the shared state from GHL's headers; a 429 pauses the location for a window. */
  observe(locationId: string, observation: RateObservation): Promise<void>;
}
