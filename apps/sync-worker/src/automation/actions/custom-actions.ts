import type { CustomAction, Rule, RuleFacts } from '@sm/automation-rules';

/** What a custom action is handed each time it runs: once per contact, rule and subject. */
export interface CustomActionContext {
  locationId: string;
  contactId: string;
  rule: Rule;
  action: CustomAction;
  facts: RuleFacts;
  /** Unique per effect and the same on every retry: pass it on as an idempotency key. */
  effectId: string;
  /** A previous attempt may have acted without recording it: check before acting again. */
  isRetry: boolean;
}

/**
 * The extension point: TypeScript code that a rule names with `type: custom`, `name: <name>`.
 * A throw retries the event with the platform's backoff; whatever the handler returns is kept
 * as the effect's outcome (keep it small, and never put a token or personal data in it).
 */
export type CustomActionHandler = (
  context: CustomActionContext,
) => Promise<Record<string, unknown> | void>;

/** DI token of the custom actions given to `AutomationModule.forRoot`. */
export const CUSTOM_ACTIONS = Symbol('CUSTOM_ACTIONS');

/** Custom actions, by name. Names are lower-case words and dashes, like rule ids. */
export class CustomActionRegistry {
  private readonly handlers = new Map<string, CustomActionHandler>();

  constructor(initial: Record<string, CustomActionHandler> = {}) {
    for (const [name, handler] of Object.entries(initial)) this.register(name, handler);
  }

  register(name: string, handler: CustomActionHandler): void {
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
      throw new Error(`custom action names are lower-case words and dashes: ${name}`);
    }
    if (this.handlers.has(name)) throw new Error(`custom action ${name} is registered twice`);
    this.handlers.set(name, handler);
  }

  get(name: string): CustomActionHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
