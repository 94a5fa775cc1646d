import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';

import { containerEnv, podContainers } from './k8s-env';
import { SECRET_LOOKING, isSecretVariable } from './secrets';
import {
  BUILT_MIGRATE,
  IMAGE_REPOSITORY,
  K8sObject,
  SANDBOX,
  SERVICES,
  SERVICE_NAMES,
  k8sFiles,
  kustomization,
  loadK8sFile,
  loadKustomizedObjects,
} from './workspace';

const objects = loadKustomizedObjects();
const secretExamples = loadK8sFile('secrets.example.yaml');

function find(kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`k8s/ has no ${kind} ${name}`);

  return found;
}

/**
 * The node options a pod may set, in its command or in NODE_OPTIONS: its heap's bounds and
 * growth, each a positive whole number. Any other (`--version`, `--eval`, `--inspect`, `--prof`)
 * would keep the main from running, open a debugger or write files, and V8 takes a growth of 0
 * or below silently as its default.
 */
const HEAP_OPTIONS = [
  'max-old-space-size',
  'max-semi-space-size',
  'min-semi-space-size',
  'heap-growing-percent',
];
const HEAP_OPTION = new RegExp(`^--(${HEAP_OPTIONS.join('|')})=[1-9]\\d*$`);

/**
 * What node says of these options and NODE_OPTIONS: nothing when it starts with them; a misspelt
 * or retired V8 flag stops it at start (`bad option`), and so does a V8 flag in NODE_OPTIONS.
 * The node asked is the one running the check, which should be the image's major (the
 * Dockerfile's NODE_IMAGE). Run in a scratch directory, so that no option leaves a file here.
 */
function nodeRejects(options: string[], nodeOptions: string): string {
  const run = spawnSync(process.execPath, [...options, '-e', ''], {
    cwd: tmpdir(),
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
  });

  return run.status === 0 ? '' : run.stderr.trim() || `exit ${run.status}`;
}

const workloads = objects.filter((object) => ['Deployment', 'Job'].includes(object.kind));

describe('k8s/', () => {
  describe('kustomization.yaml', () => {
    it('lists every manifest file, and only files that exist', () => {
      const manifests = k8sFiles().filter(
        (file) => file !== 'kustomization.yaml' && !file.endsWith('.example.yaml'),
      );

      expect([...kustomization().resources].sort()).toEqual(manifests);
    });

    it('sets the namespace and pins the image every workload runs', () => {
      const { namespace, images = [] } = kustomization();

      expect(namespace).toBe('solarmarket-sync');
      expect(images).toEqual([expect.objectContaining({ name: IMAGE_REPOSITORY })]);
      expect(images[0].newTag).toMatch(/^\d+\.\d+\.\d+/);
    });
  });

  describe('every object', () => {
    it.each(objects.map((object) => [`${object.file}: ${object.kind}`, object]))(
      '%s has apiVersion, kind and a DNS-1123 metadata.name',
      (_label, object) => {
        expect(object.apiVersion).toMatch(/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/);
        expect(object.kind).toMatch(/^[A-Z][A-Za-z]+$/);
        expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      },
    );

    it('keeps secrets out of every ConfigMap, used or not', () => {
      const secretKeys = objects
        .filter((object) => object.kind === 'ConfigMap')
        .flatMap((configMap) =>
          Object.keys(configMap.data ?? {}).map((key) => `${configMap.metadata.name}/${key}`),
        )
        .filter((ref) => {
          const key = ref.split('/')[1];

          return isSecretVariable(key) || SECRET_LOOKING.test(key);
        });

      expect(secretKeys).toEqual([]);
    });

    it('names each object once per kind', () => {
      const keys = objects.map((object) => `${object.kind}/${object.metadata.name}`);

      expect(keys.length).toBe(new Set(keys).size);
    });
  });

  describe.each(SERVICE_NAMES)('%s', (app) => {
    const port = SERVICES[app];

    it('has a Deployment whose selector matches its pod labels', () => {
      const deployment = find('Deployment', app);
      const { matchLabels } = deployment.spec.selector;

      expect(deployment.apiVersion).toBe('apps/v1');
      expect(Object.keys(matchLabels).length).toBeGreaterThan(0);
      expect(deployment.spec.template.metadata.labels).toMatchObject(matchLabels);
    });

    it('runs the built main of this app from the image, with only heap options for node', () => {
      const [container, ...others] = podContainers(find('Deployment', app));
      const command: unknown = container.command;
      const options = Array.isArray(command) ? command.slice(1, -1) : [];
      const nodeOptionsText = containerEnv(container, objects).plain.NODE_OPTIONS ?? '';
      const nodeOptions = nodeOptionsText.split(' ').filter(Boolean);

      expect(others).toEqual([]);
      expect(container.image).toBe(IMAGE_REPOSITORY);
      expect(command).toEqual(['node', ...options, `dist/apps/${app}/apps/${app}/src/main.js`]);
      expect([...options, ...nodeOptions].filter((option) => !HEAP_OPTION.test(option))).toEqual(
        [],
      );
      expect(nodeRejects(options, nodeOptionsText)).toBe('');
    });

    it(`listens on ${port}: containerPort, PORT and the Service's targetPort agree`, () => {
      const [container] = podContainers(find('Deployment', app));
      const env = containerEnv(container, objects);
      const service = find('Service', app);

      expect(
        container.ports.map((entry: { containerPort: number }) => entry.containerPort),
      ).toEqual([port]);
      expect(env.plain.PORT).toBe(String(port));
      expect(service.spec.ports).toEqual([expect.objectContaining({ port, targetPort: port })]);
    });

    it("has a Service that selects this app's pods and no other", () => {
      const service = find('Service', app);
      const podLabels = find('Deployment', app).spec.template.metadata.labels;
      const otherPods = SERVICE_NAMES.filter((other) => other !== app).map(
        (other) => find('Deployment', other).spec.template.metadata.labels,
      );
      const selects = (labels: Record<string, string>) =>
        Object.entries(service.spec.selector).every(([key, value]) => labels[key] === value);

      expect(selects(podLabels)).toBe(true);
      expect(otherPods.filter(selects)).toEqual([]);
    });

    it('probes liveness on /health/live and readiness on /health/ready, on its port', () => {
      const [container] = podContainers(find('Deployment', app));

      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port });
      expect(container.startupProbe?.httpGet ?? { path: '/health/live', port }).toEqual({
        path: '/health/live',
        port,
      });
    });

    it('sets requests and limits for cpu and memory', () => {
      const [container] = podContainers(find('Deployment', app));

      for (const bound of ['requests', 'limits']) {
        expect(Object.keys(container.resources[bound]).sort()).toEqual(['cpu', 'memory']);
      }
    });
  });

  describe.each(
    workloads.map((workload) => [`${workload.kind} ${workload.metadata.name}`, workload]),
  )('%s', (_label, workload) => {
    it('runs as a non-root user on a read-only root filesystem, without privileges', () => {
      const pod = workload.spec.template.spec;

      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of podContainers(workload)) {
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    });

    it('takes every secret from a Secret, never from a literal or a ConfigMap', () => {
      for (const container of podContainers(workload)) {
        const env = containerEnv(container, objects);
        const secretLiterals = Object.keys(env.plain).filter(
          (name) => isSecretVariable(name) || SECRET_LOOKING.test(name),
        );

        expect(env.problems).toEqual([]);
        expect(secretLiterals).toEqual([]);
      }
    });

    it('references only Secrets and keys that secrets.example.yaml documents', () => {
      const documented = new Set(
        secretExamples.flatMap((secret) =>
          Object.keys(secret.stringData ?? {}).map((key) => `${secret.metadata.name}/${key}`),
        ),
      );
      const referenced = podContainers(workload).flatMap((container) =>
        Object.values(containerEnv(container, objects).fromSecrets).map(
          ({ secret, key }) => `${secret}/${key}`,
        ),
      );

      expect(referenced.filter((ref) => !documented.has(ref))).toEqual([]);
    });
  });

  describe('the migration Job', () => {
    it('runs the built migration entry of the same image, once, with the database secret', () => {
      const job = find('Job', 'db-migrate');
      const [container] = podContainers(job);
      const env = containerEnv(container, objects);

      expect(job.spec.template.spec.restartPolicy).toBe('Never');
      expect(container.image).toBe(IMAGE_REPOSITORY);
      expect(container.command).toEqual(['node', BUILT_MIGRATE]);
      expect(env.fromSecrets.DATABASE_URL).toEqual(
        expect.objectContaining({ secret: 'solarmarket-shared-secrets', key: 'DATABASE_URL' }),
      );
    });
  });

  describe('the Ingress', () => {
    const ingress = find('Ingress', 'solarmarket-sync');
    const routes = ingress.spec.rules.flatMap(
      (rule: { http: { paths: Array<Record<string, never>> } }) => rule.http.paths,
    );
    const route = (path: string) => routes.find((entry: { path: string }) => entry.path === path);

    it('routes GHL webhooks to webhook-ingress and the OAuth flow to auth-service', () => {
      expect(route('/webhooks/ghl')?.backend.service).toEqual({
        name: 'webhook-ingress',
        port: { number: SERVICES['webhook-ingress'] },
      });
      expect(route('/oauth')?.backend.service).toEqual({
        name: 'auth-service',
        port: { number: SERVICES['auth-service'] },
      });
    });

    it('targets Services that exist, on the port they serve', () => {
      for (const { backend } of routes) {
        const service = find('Service', backend.service.name);

        expect(service.spec.ports.map((entry: { port: number }) => entry.port)).toContain(
          backend.service.port.number,
        );
      }
    });

    it('exposes nothing else: no health, internal or admin route', () => {
      expect(routes.map((entry: { path: string }) => entry.path).sort()).toEqual([
        '/oauth',
        '/webhooks/ghl',
      ]);
      expect(ingress.spec.defaultBackend).toBeUndefined();
    });
  });

  describe('the NetworkPolicies', () => {
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const podsOf = (selector: Record<string, string>) =>
      SERVICE_NAMES.filter((app) => {
        const labels = find('Deployment', app).spec.template.metadata.labels;

        return Object.entries(selector).every(([key, value]) => labels[key] === value);
      });

    it('deny by default, then open only the ports the selected apps listen on', () => {
      const [denyAll] = policies.filter((policy) => !policy.spec.ingress);
      const opened = policies
        .filter((policy) => policy.spec.ingress)
        .flatMap((policy) =>
          podsOf(policy.spec.podSelector.matchLabels).map((app) => ({
            app,
            ports: policy.spec.ingress.flatMap((rule: { ports: Array<{ port: number }> }) =>
              rule.ports.map((entry) => entry.port),
            ),
          })),
        );

      expect(denyAll.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      expect(opened).toEqual(
        expect.arrayContaining([
          { app: 'webhook-ingress', ports: [SERVICES['webhook-ingress']] },
          { app: 'auth-service', ports: [SERVICES['auth-service']] },
          { app: 'sync-worker', ports: [SERVICES['sync-worker']] },
        ]),
      );
      expect(opened).toHaveLength(3);
    });

    it("let only the sync worker's pods, in the namespace, reach the auth service", () => {
      const auth = policies.find(
        (policy) =>
          policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'auth-service',
      );
      const podPeers = auth?.spec.ingress
        .flatMap(
          (rule: { from: Array<{ podSelector?: { matchLabels: Record<string, string> } }> }) =>
            rule.from,
        )
        .filter((peer: { podSelector?: unknown }) => peer.podSelector)
        .flatMap((peer: { podSelector: { matchLabels: Record<string, string> } }) =>
          podsOf(peer.podSelector.matchLabels),
        );

      expect(podPeers).toEqual(['sync-worker']);
    });
  });

  describe('the sandbox', () => {
    it('is never deployed: no object, command or value mentions it', () => {
      const everything = JSON.stringify(objects);

      expect(everything).not.toContain(SANDBOX.name);
      expect(everything).not.toContain('_sandbox');
      expect(everything).not.toMatch(new RegExp(`:${SANDBOX.port}\\b`));
    });
  });

  describe('secrets.example.yaml', () => {
    it('holds placeholders only', () => {
      const values = secretExamples.flatMap((secret) => Object.values(secret.stringData ?? {}));

      expect(secretExamples.every((secret) => secret.kind === 'Secret')).toBe(true);
      expect(secretExamples.every((secret) => secret.data === undefined)).toBe(true);
      expect(values.length).toBeGreaterThan(0);
      expect(values.filter((value) => value !== 'REPLACE_ME')).toEqual([]);
    });

    it('is the only place a Secret is written', () => {
      expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    });
  });
});
