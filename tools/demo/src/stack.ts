import { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createSyncCompletedConsumer, SyncCompletedEvent } from '@sm/sync-events';
import { ServiceProcess, startServiceProcess } from '@sm/testing';

import { ChatWebhookCatcher } from './chat-webhook-catcher';
import { DemoSecrets } from './demo-secrets';
import { appEntry, DEMO_SERVICE_MARK, DemoApp, StartedServicesFile } from './started-services';
import { processStartTicks } from './workspace-process';

export const SANDBOX_LOCATION_ID = 'SMsandboxLocation001';
const SANDBOX_CLIENT_ID = 'sandbox-app-client';
const SANDBOX_CLIENT_SECRET = 'sandbox-app-secret';
/** The demo itself consumes sync-completed, as another SolarMarket service would. */
const DEMO_CONSUMER = 'demo';

export interface StackPorts {
  sandbox: number;
  auth: number;
  ingress: number;
  sync: number;
  notification: number;
}

export const DEFAULT_PORTS: StackPorts = {
  sandbox: 4010,
  auth: 3001,
  ingress: 3002,
  sync: 3003,
  notification: 3004,
};

export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  secrets: DemoSecrets;
  ports: StackPorts;
  /** Where keys and service logs go. */
  stateDir: string;
  contacts: number;
  /** The sandbox's burst limit per 10 s (GHL's is 100). */
  sandboxBurstLimit: number;
  logLevel?: string;
}

export interface Stack {
  urls: Record<keyof StackPorts, string>;
  chat: ChatWebhookCatcher;
  /** What the registered `demo` consumer of sync-completed received, in order. */
  syncEvents: SyncCompletedEvent[];
  serviceToken: string;
  locationId: string;
  processes: Record<string, ServiceProcess>;
  /** Tells of each service that ends by itself (not by `stop`): its app, pid, how, and log. */
  onServiceEnded(listener: (ended: EndedService) => void): void;
  stop(): Promise<void>;
}

export interface EndedService {
  app: DemoApp;
  pid: number | undefined;
  /** `exit code 1`, `SIGKILL`. */
  how: string;
  logFile: string;
}

/**
 * Starts the GHL sandbox, the four services and a chat-webhook catcher, wired as the README
 * describes, each as its own process. Resolves once every service is ready.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const urls = mapPorts(options.ports);
  const logDir = path.join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const launch: Launch = {
    options,
    logDir,
    started: new StartedServicesFile(options.stateDir),
    apps: new Map(),
  };
  const processes: Record<string, ServiceProcess> = {};
  const chat = new ChatWebhookCatcher();
  const chatUrl = await chat.start();
  const syncEvents: SyncCompletedEvent[] = [];
  const consumer = createSyncCompletedConsumer({
    consumer: DEMO_CONSUMER,
    redisUrl: options.redisUrl,
    prefix: options.queuePrefix,
    handle: async (event) => {
      if (!syncEvents.some((seen) => seen.eventId === event.eventId)) syncEvents.push(event);
    },
  });

  let isStopping = false;
  const stop = async () => {
    isStopping = true;
    await Promise.all(Object.values(processes).map((service) => service.stop('SIGTERM')));
    launch.started.remove();
    await consumer.close();
    await chat.stop();
  };

  try {
    processes.sandbox = await start('ghl-sandbox', launch, urls.sandbox, {
      PORT: String(options.ports.sandbox),
      HOST: '127.0.0.1',
      SANDBOX_LOCATIONS: `${SANDBOX_LOCATION_ID}:${options.contacts}`,
      SANDBOX_CLIENT_ID,
      SANDBOX_CLIENT_SECRET,
      SANDBOX_WEBHOOK_URL: `${urls.ingress}/webhooks/ghl`,
    });
    await setSandboxBurstLimit(urls.sandbox, options.sandboxBurstLimit);
    const keyFiles = await saveSandboxWebhookKeys(urls.sandbox, options.stateDir);

    const shared = sharedEnv(options);
    const starts = [
      start('auth-service', launch, urls.auth, {
        ...shared,
        PORT: String(options.ports.auth),
        GHL_API_BASE_URL: urls.sandbox,
        GHL_AUTHORIZE_URL: `${urls.sandbox}/oauth/chooselocation`,
        GHL_CLIENT_ID: SANDBOX_CLIENT_ID,
        GHL_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
        GHL_REDIRECT_URI: `${urls.auth}/oauth/callback`,
        TOKEN_ENCRYPTION_KEYS: options.secrets.tokenEncryptionKeys,
        OAUTH_STATE_SECRET: options.secrets.oauthStateSecret,
      }),
      start('webhook-ingress', launch, urls.ingress, {
        ...shared,
        PORT: String(options.ports.ingress),
        WEBHOOK_ED25519_PUBLIC_KEY_FILES: keyFiles.ed25519,
        WEBHOOK_RSA_PUBLIC_KEY_FILES: keyFiles.rsa,
      }),
      start('sync-worker', launch, urls.sync, {
        ...shared,
        PORT: String(options.ports.sync),
        GHL_API_BASE_URL: urls.sandbox,
        AUTH_SERVICE_URL: urls.auth,
        SYNC_COMPLETED_CONSUMERS: DEMO_CONSUMER,
        GHL_BURST_LIMIT: String(options.sandboxBurstLimit),
        READ_API_KEYS: JSON.stringify([
          { name: 'demo', key: options.secrets.readApiKey, locations: [SANDBOX_LOCATION_ID] },
        ]),
      }),
      start('notification-service', launch, urls.notification, {
        ...shared,
        PORT: String(options.ports.notification),
        NOTIFY_TEAM_SLACK_WEBHOOK_URL: `${chatUrl}/team`,
        NOTIFY_ADMIN_SLACK_WEBHOOK_URL: `${chatUrl}/admin`,
      }),
    ];
    // Each service that started is kept before a failure is thrown: a sibling that failed to
    // start (its port taken meanwhile) left the three others running after the demo gave up.
    const outcomes = await Promise.allSettled(starts);
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') processes[FOUR_SERVICES[index]] = outcome.value;
    });
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    urls,
    chat,
    syncEvents,
    serviceToken: options.secrets.serviceToken,
    locationId: SANDBOX_LOCATION_ID,
    processes,
    onServiceEnded: (listener) => {
      for (const [service, app] of launch.apps) {
        service.child.once('exit', (code, signal) => {
          if (isStopping) return;
          const how = signal ?? `exit code ${code}`;
          listener({ app, pid: service.child.pid, how, logFile: logFileOf(logDir, app) });
        });
      }
    },
    stop,
  };
}

const logFileOf = (logDir: string, app: DemoApp) => path.join(logDir, `${app}.log`);

/** The services after the sandbox, in the order `startStack` starts them. */
const FOUR_SERVICES = ['auth', 'ingress', 'sync', 'notification'] as const;

function sharedEnv(options: StackOptions): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    LOG_LEVEL: options.logLevel ?? 'info',
    HOST: '127.0.0.1',
    SERVICE_TOKEN: options.secrets.serviceToken,
  };
}

/** What every service of one stack is started with. */
interface Launch {
  options: StackOptions;
  logDir: string;
  /** Where each service is listed from its spawn on, for the next demo if this one is killed. */
  started: StartedServicesFile;
  /** Each service that started, and the app it runs. */
  apps: Map<ServiceProcess, DemoApp>;
}

/**
 * Starts one app of the workspace, listed among the started services from its spawn on: a demo
 * killed while the app still starts leaves it for the next demo to stop.
 */
async function start(
  app: DemoApp,
  { options, logDir, started, apps }: Launch,
  baseUrl: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const entry = appEntry(app);
  const list = ({ pid }: ChildProcess) => {
    const startTicks = pid === undefined ? undefined : processStartTicks(pid);
    // No pid: the spawn failed. No start time (no /proc): the next demo could not tell it anyway.
    if (pid === undefined || startTicks === undefined) return;
    // TODO: a demo SIGKILLed between the spawn and this write leaves an unlisted service; the
    // next demo then refuses its busy port and the user stops it by hand. Closing the window
    // would mean finding services by DEMO_SERVICE_MARK in /proc rather than by this list.
    started.add({ pid, service: app, port: Number(env.PORT), entry, startTicks });
  };

  const service = await startServiceProcess({
    entry,
    env: {
      LOG_LEVEL: options.logLevel ?? 'info',
      ...env,
      [DEMO_SERVICE_MARK]: options.queuePrefix,
    },
    readyUrl: `${baseUrl}/health/ready`,
    logFile: logFileOf(logDir, app),
    timeoutMs: 60_000,
    onSpawn: list,
  });
  apps.set(service, app);

  return service;
}

function mapPorts(ports: StackPorts): Record<keyof StackPorts, string> {
  const entries = Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]);

  return Object.fromEntries(entries) as Record<keyof StackPorts, string>;
}

/** GHL allows 100 requests per 10 s; the demo may raise it so the first sync takes seconds. */
async function setSandboxBurstLimit(sandboxUrl: string, burstLimit: number): Promise<void> {
  const response = await fetch(`${sandboxUrl}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ burstLimit }),
  });
  if (!response.ok) throw new Error(`the sandbox refused its burst limit: ${response.status}`);
}

/** The sandbox signs with key pairs of its own; the ingress is configured with their halves. */
async function saveSandboxWebhookKeys(
  sandboxUrl: string,
  stateDir: string,
): Promise<{ ed25519: string; rsa: string }> {
  const response = await fetch(`${sandboxUrl}/_sandbox/webhook-keys`);
  const keys = (await response.json()) as { ed25519: string; rsa: string };
  const dir = path.join(stateDir, 'keys');
  mkdirSync(dir, { recursive: true });
  const files = {
    ed25519: path.join(dir, 'sandbox-ed25519.pem'),
    rsa: path.join(dir, 'sandbox-rsa.pem'),
  };
  writeFileSync(files.ed25519, keys.ed25519);
  writeFileSync(files.rsa, keys.rsa);

  return files;
}
