import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

/** The apps the demo starts: a list naming anything else is not taken from the file. */
export const DEMO_APPS = [
  'ghl-sandbox',
  'auth-service',
  'webhook-ingress',
  'sync-worker',
  'notification-service',
] as const;

export type DemoApp = (typeof DEMO_APPS)[number];

/** What an app runs, as given to tools/run-ts.cjs. */
export const appEntry = (app: DemoApp) => `apps/${app}/src/main.ts`;

/**
 * Set on every service a demo starts, to its queue prefix: a pid is signalled only when its
 * environment carries the mark of this prefix, which a hand-edited list cannot forge.
 */
export const DEMO_SERVICE_MARK = 'DEMO_SERVICE_OF';

const startedServiceSchema = z
  .object({
    // 0 and negative pids would signal whole process groups: never taken from the file.
    pid: z.number().int().min(2),
    service: z.enum(DEMO_APPS),
    port: z.number().int(),
    /** What it runs, as given to tools/run-ts.cjs: the entry of `service`, nothing else. */
    entry: z.string(),
    /** From /proc: tells the process from a later one given the same pid. */
    startTicks: z.number().int(),
  })
  .refine((service) => service.entry === appEntry(service.service));

const startedServicesSchema = z.object({
  /** The demo that started them. */
  demoPid: z.number().int().min(2),
  services: z.array(startedServiceSchema),
});

/** The file's frame, each entry checked on its own (see readStartedServices). */
const listSchema = startedServicesSchema.extend({ services: z.array(z.unknown()) });

export type StartedService = z.infer<typeof startedServiceSchema>;
export type StartedServices = z.infer<typeof startedServicesSchema>;

export const startedServicesFile = (stateDir: string) => path.join(stateDir, 'services.json');

/**
 * The services this demo started, kept in `tmp/demo/<prefix>/services.json` while they run: a
 * demo killed with SIGKILL cannot stop them, and the next demo of the prefix does it from this.
 */
export class StartedServicesFile {
  private readonly services: StartedService[] = [];

  constructor(private readonly stateDir: string) {}

  add(service: StartedService): void {
    this.services.push(service);
    const file = startedServicesFile(this.stateDir);
    const content: StartedServices = { demoPid: process.pid, services: this.services };
    // Written aside, then renamed: a demo killed mid-write leaves the previous list whole.
    writeFileSync(`${file}.tmp`, JSON.stringify(content, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  remove(): void {
    removeStartedServices(this.stateDir);
  }
}

/**
 * The list an earlier demo left, if any: none when it stopped its services itself. Entries are
 * read one by one, so one that is not a service (a pid of 1, a hand edit) is skipped and named
 * without hiding the others; a file that does not parse at all is named and taken as none.
 */
export function readStartedServices(
  stateDir: string,
  warn: (line: string) => void,
): StartedServices | undefined {
  const file = startedServicesFile(stateDir);
  const text = readListText(file, warn);
  if (text === undefined) return undefined;

  const list = listSchema.safeParse(parseJson(text));
  if (!list.success) {
    warn(`⚠ ${file} does not parse: any services it lists are not stopped`);

    return undefined;
  }
  const services = list.data.services.flatMap((entry, index) => {
    const service = startedServiceSchema.safeParse(entry);
    if (!service.success) warn(`⚠ ${file}: entry ${index + 1} is not a started service, skipped`);

    return service.success ? [service.data] : [];
  });

  return { demoPid: list.data.demoPid, services };
}

function readListText(file: string, warn: (line: string) => void): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    // None left is the usual case: the last demo stopped its services (or there was none).
    const isMissing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!isMissing) warn(`⚠ ${file} cannot be read: any services it lists are not stopped`);

    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function removeStartedServices(stateDir: string): void {
  rmSync(startedServicesFile(stateDir), { force: true });
}
