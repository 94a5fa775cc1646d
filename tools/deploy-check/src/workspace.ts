import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { JSON_SCHEMA, YAML11_SCHEMA, loadAll } from 'js-yaml';

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

/** The four deployed services and the port each listens on (docs/architecture.md, "Ports"). */
export const SERVICES = {
  'auth-service': 3001,
  'webhook-ingress': 3002,
  'sync-worker': 3003,
  'notification-service': 3004,
} as const;

export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** Development and tests only: in docker-compose.yml, never in k8s/. */
export const SANDBOX = { name: 'ghl-sandbox', port: 4010 } as const;

/** The image every service runs (the Dockerfile's default target). */
export const IMAGE_REPOSITORY = 'solarmarket/ghl-sync';

/** What `build-project.mjs apps/<app>` produces, relative to the image's WORKDIR (/app). */
export function builtMain(app: string): string {
  return `dist/apps/${app}/apps/${app}/src/main.js`;
}

/** The migration entry, built from libs/entities (`build-project.mjs libs/entities`). */
export const BUILT_MIGRATE = 'dist/libs/entities/libs/entities/src/cli/migrate.js';

export function readWorkspaceFile(relative: string): string {
  return readFileSync(path.join(WORKSPACE_ROOT, relative), 'utf8');
}

export function workspaceFileExists(relative: string): boolean {
  return existsSync(path.join(WORKSPACE_ROOT, relative));
}

/** A Kubernetes object as parsed, with the file it came from. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // The rest is checked per kind; parsed YAML is untyped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
  file: string;
}

/** Every `k8s/*.yaml` file name, kustomization.yaml included. */
export function k8sFiles(): string[] {
  return readdirSync(path.join(WORKSPACE_ROOT, 'k8s'))
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.yml'))
    .sort();
}

/**
 * Every object of one k8s file. Parsed with the JSON-compatible schema, so that a value such as
 * `on` or `0755` means what the API server will read, not what YAML 1.1 guessed.
 */
export function loadK8sFile(file: string): K8sObject[] {
  const text = readWorkspaceFile(path.join('k8s', file));

  return loadAll(text, { schema: JSON_SCHEMA })
    .filter((document) => document !== null && document !== undefined)
    .map((document) => ({ ...(document as object), file }) as K8sObject);
}

/** The objects `kubectl apply -k k8s/` creates: every resource kustomization.yaml lists. */
export function loadKustomizedObjects(): K8sObject[] {
  return kustomization().resources.flatMap((file) => loadK8sFile(file));
}

export function kustomization(): {
  resources: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
} {
  const [document] = loadK8sFile('kustomization.yaml');

  return document as never;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ComposeService = Record<string, any>;

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml, with YAML 1.1 merge keys (`<<: *anchor`) resolved as Compose does. */
export function loadCompose(): ComposeFile {
  const [document] = loadAll(readWorkspaceFile('docker-compose.yml'), { schema: YAML11_SCHEMA });

  return document as ComposeFile;
}
