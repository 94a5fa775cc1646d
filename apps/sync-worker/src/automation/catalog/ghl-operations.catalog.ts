import { readFileSync } from 'node:fs';
import path from 'node:path';

import { LocationClient } from '@sm/ghl-client';

/** One GHL call, as the vendored spec describes it. */
export interface CatalogOperation {
  operationId: string;
  method: string;
  path: string;
  /** The OAuth scopes the spec's `security` asks for; empty where the spec names none. */
  scopes: string[];
}

/** A method of the GHL client, and the GHL calls it makes. */
export interface CatalogClientAction {
  kind: 'ghl-operation';
  name: string;
  operations: CatalogOperation[];
  scopes: string[];
}

type Caller = ConstructorParameters<typeof LocationClient>[1];
type SpecOperations = Map<string, Omit<CatalogOperation, 'operationId'>>;

const SPEC_FILES = ['contacts.json', 'locations.json', 'oauth.json'];
const NOT_ACTIONS = new Set(['constructor', 'callCount', 'send']);

/**
 * Every method of the GHL client with the operations it calls, found by running each method
 * against a recording caller (no network): a method added to the client appears here without
 * anyone listing it. Scopes come from the vendored spec's `security` of each operation.
 */
export async function ghlClientActions(workspaceRoot: string): Promise<CatalogClientAction[]> {
  const spec = specOperations(workspaceRoot);
  const names = Object.getOwnPropertyNames(LocationClient.prototype)
    .filter((name) => !NOT_ACTIONS.has(name))
    .sort();
  const recorded = await Promise.all(names.map((name) => recordedOperations(name)));

  return names
    .map((name, index) => {
      const operations = recorded[index].map((operationId) => ({
        operationId,
        ...(spec.get(operationId) ?? { method: '?', path: '?', scopes: [] }),
      }));
      const scopes = [...new Set(operations.flatMap((operation) => operation.scopes))].sort();

      return { kind: 'ghl-operation' as const, name, operations, scopes };
    })
    .filter((action) => action.operations.length > 0);
}

/** The operation ids a client method calls, in order. */
export async function recordedOperations(method: string): Promise<string[]> {
  const seen: string[] = [];
  const caller = {
    callCount: 0,
    call: async ({ operation }: { operation: string }) => {
      seen.push(operation);

      return {};
    },
  } as unknown as Caller;
  const client = new LocationClient('{locationId}', caller) as unknown as Record<
    string,
    (...args: unknown[]) => unknown
  >;
  const fn = client[method];
  if (typeof fn !== 'function') return [];
  const placeholders = Array.from({ length: fn.length }, () => 'x');
  const result = fn.apply(client, placeholders);
  await drain(result);

  return seen;
}

/** Runs what a method returned far enough for its first call to be made. */
async function drain(result: unknown): Promise<void> {
  const iterator = result as AsyncIterator<unknown> | undefined;
  if (iterator && typeof iterator.next === 'function') await iterator.next().catch(() => undefined);
  else await Promise.resolve(result).catch(() => undefined);
}

function specOperations(workspaceRoot: string): SpecOperations {
  const operations: SpecOperations = new Map();
  for (const file of SPEC_FILES) {
    const spec = JSON.parse(
      readFileSync(path.join(workspaceRoot, 'vendor/ghl/openapi/apps', file), 'utf8'),
    ) as { paths: Record<string, Record<string, SpecOperation>>; security?: Security };
    for (const [specPath, methods] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation?.operationId) continue;
        const security = operation.security ?? spec.security ?? [];
        const scopes = [...new Set(security.flatMap((entry) => Object.values(entry).flat()))];
        operations.set(operation.operationId, {
          method: method.toUpperCase(),
          path: specPath,
          scopes,
        });
      }
    }
  }

  return operations;
}

type Security = Array<Record<string, string[]>>;

interface SpecOperation {
  operationId?: string;
  security?: Security;
}
