import {
  CheckConfigResult,
  appConfigSchema,
  appConfigVariables,
  optionalVariables,
  runCheckConfig,
  withProcessSlot,
} from './app-config';
import { composeEnvironment } from './compose-env';
import { containerEnv, podContainers } from './k8s-env';
import { materialiseSandboxKeys, sandboxKeyFiles } from './sandbox-keys';
import { NOT_SECRET, SECRET_LOOKING, generatedSecretValue, isSecretVariable } from './secrets';
import { K8sObject, SANDBOX, SERVICE_NAMES, loadCompose, loadKustomizedObjects } from './workspace';

const objects = loadKustomizedObjects();
const compose = loadCompose();

/** The image sets it (Dockerfile `ENV NODE_ENV=production`); Node and libraries read it. */
const IMAGE_ENV = { NODE_ENV: 'production' };
/** Read by Node itself, not by the app: a manifest may set them. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

function deployment(app: string): K8sObject {
  const found = objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name === app,
  );
  if (!found) throw new Error(`k8s/ has no Deployment ${app}`);

  return found;
}

function secretRefs(app: string) {
  return containerEnv(podContainers(deployment(app))[0], objects).fromSecrets;
}

/** What a pod of the app would see, with a freshly generated value in place of each secret. */
function k8sEnvironment(app: string): Record<string, string> {
  const env = containerEnv(podContainers(deployment(app))[0], objects);
  const secrets = Object.fromEntries(
    Object.entries(env.fromSecrets).map(([name, { key }]) => [name, generatedSecretValue(key)]),
  );

  return { ...IMAGE_ENV, ...env.plain, ...secrets };
}

/** The secret the negative check spoils: the app's own first secret, else DATABASE_URL. */
function malformedSecret(app: string): string {
  const [own] = Object.keys(secretRefs(app)).filter(
    (name) => !['DATABASE_URL', 'REDIS_URL'].includes(name),
  );

  return own ?? 'DATABASE_URL';
}

function composeService(app: string) {
  const service = compose.services[app];
  if (!service) throw new Error(`docker-compose.yml has no service ${app}`);

  return service;
}

/**
 * A compose service's environment as this machine can check it: paths inside the sandbox's
 * key volume point at a scratch folder holding keys of the same kinds under the same names.
 */
function composeEnvironmentHere(app: string, unresolved: string[]): Record<string, string> {
  const env = composeEnvironment(composeService(app), unresolved);
  const mount = (composeService(app).volumes ?? [])
    .map((volume: string) => volume.split(':'))
    .find(([source]: string[]) => source === 'sandbox-webhook-keys');
  if (!mount) return env;

  const [, mountPath] = mount;
  const local = materialiseSandboxKeys(
    sandboxKeyFiles(composeService('sandbox-webhook-keys')),
    mountPath,
  );

  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, value.split(mountPath).join(local)]),
  );
}

// Each validation is a process of its own (a few seconds, mostly module loading). They are all
// started before the first test, a few at a time, and each test awaits its own.
const checks = new Map<string, () => Promise<CheckConfigResult>>();
const results = new Map<string, Promise<CheckConfigResult>>();
const composeUnresolved: Record<string, string[]> = {};

function resultOf(name: string): Promise<CheckConfigResult> {
  const start = checks.get(name);
  if (!start) throw new Error(`no check named ${name}`);
  if (!results.has(name)) results.set(name, withProcessSlot(start));

  return results.get(name) as Promise<CheckConfigResult>;
}

for (const app of [...SERVICE_NAMES, SANDBOX.name]) {
  composeUnresolved[app] = [];
  checks.set(`compose ${app}`, () =>
    runCheckConfig(app, { ...IMAGE_ENV, ...composeEnvironmentHere(app, composeUnresolved[app]) }),
  );
}
for (const app of SERVICE_NAMES) {
  checks.set(`k8s ${app}`, () => runCheckConfig(app, k8sEnvironment(app)));
  checks.set(`k8s ${app}, one secret malformed`, () =>
    runCheckConfig(app, { ...k8sEnvironment(app), [malformedSecret(app)]: 'short' }),
  );
}

beforeAll(() => {
  for (const name of checks.keys()) void resultOf(name).catch(() => undefined);
});

const CONFIG_OK = { exitCode: 0, output: expect.stringContaining('configuration ok') };

describe.each([...SERVICE_NAMES, SANDBOX.name])('the configuration of %s', (app) => {
  it("names only variables of the app's config schema, in docker-compose.yml", () => {
    const variables = appConfigVariables(app);
    const unknown = Object.keys(composeEnvironment(composeService(app))).filter(
      (name) => !variables.includes(name),
    );

    expect(unknown).toEqual([]);
  });

  it("passes the app's own validation (--check-config) with the compose environment", async () => {
    const result = await resultOf(`compose ${app}`);

    expect(composeUnresolved[app]).toEqual([]);
    expect(result).toEqual(CONFIG_OK);
  });

  it('marks each secret-looking variable of its schema as a secret, or says why it is not', () => {
    const unclassified = appConfigVariables(app).filter(
      (name) => SECRET_LOOKING.test(name) && !isSecretVariable(name) && !(name in NOT_SECRET),
    );

    expect(unclassified).toEqual([]);
  });
});

describe.each(SERVICE_NAMES)('the k8s configuration of %s', (app) => {
  it("names only variables of the app's config schema", () => {
    const variables = appConfigVariables(app);
    const unknown = Object.keys(k8sEnvironment(app)).filter(
      (name) =>
        !variables.includes(name) && !(name in IMAGE_ENV) && !NODE_RUNTIME_VARIABLES.includes(name),
    );

    expect(unknown).toEqual([]);
  });

  it('gives every secret of the schema through a secretKeyRef', () => {
    const secretsInSchema = appConfigVariables(app).filter(isSecretVariable);

    expect(Object.keys(secretRefs(app)).sort()).toEqual(secretsInSchema.sort());
  });

  // A key missing from a Secret whose ref is not optional stops the pod before the app runs
  // (CreateContainerConfigError); an optional ref to a variable the app needs only moves the stop.
  it('reads a secret with optional: true exactly when the app runs without it', () => {
    const optional = optionalVariables(app);
    const refs = Object.entries(secretRefs(app)).map(([name, ref]) => [name, ref.optional]);

    expect(refs).toEqual(refs.map(([name]) => [name, optional.includes(name as string)]));
  });

  it('validates with every optional secret missing from its Secret, or blank there', () => {
    const optional = Object.keys(secretRefs(app)).filter((name) =>
      optionalVariables(app).includes(name),
    );
    const missing = Object.fromEntries(
      Object.entries(k8sEnvironment(app)).filter(([name]) => !optional.includes(name)),
    );
    const blank = { ...missing, ...Object.fromEntries(optional.map((name) => [name, ''])) };

    const problems = [missing, blank].map(
      (env) => appConfigSchema(app).safeParse(env).error?.issues ?? [],
    );

    expect(problems).toEqual([[], []]);
  });

  it("passes the app's own validation (--check-config), with test values as secrets", async () => {
    expect(await resultOf(`k8s ${app}`)).toEqual(CONFIG_OK);
  });

  it('fails that validation, naming the variable, when a secret is malformed', async () => {
    const result = await resultOf(`k8s ${app}, one secret malformed`);

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain(malformedSecret(app));
  });
});
