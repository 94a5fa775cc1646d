import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { WORKSPACE_ROOT } from '@sm/testing';

const EXAMPLES_DIR = path.join(WORKSPACE_ROOT, 'vendor/ghl/webhooks');

export interface GhlExample {
  file: string;
  /** The file's bytes, exactly as GHL's docs show them (spacing and key order included). */
  text: string;
  type: string;
}

/** Every example delivery GHL documents (the schemas/ folder holds schemas, not deliveries). */
export function ghlExamples(): GhlExample[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');

      return { file, text, type: (JSON.parse(text) as { type: string }).type };
    });
}

/**
 * The example as a live delivery: a fresh `timestamp` and a new `webhookId`, edited in the text
 * so that everything else keeps the example's exact bytes.
 */
export function asLiveDelivery(text: string, webhookId = randomUUID()): string {
  const stamped = setField(text, 'timestamp', new Date().toISOString());

  return setField(stamped, 'webhookId', webhookId);
}

/** The example's own bytes, with its `timestamp` (when it has one) moved to now. */
export function withFreshTimestamp(text: string): string {
  return /"timestamp"/.test(text) ? setField(text, 'timestamp', new Date().toISOString()) : text;
}

function setField(text: string, field: string, value: string): string {
  const existing = new RegExp(`"${field}"\\s*:\\s*"[^"]*"`);
  if (existing.test(text)) return text.replace(existing, `"${field}": "${value}"`);

  return text.replace('{', `{\n  "${field}": "${value}",`);
}
