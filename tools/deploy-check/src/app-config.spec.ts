import { appConfigVariables, runCheckConfig } from './app-config';
import { composeEnvironment } from './compose-env';
import { containerEnv, podContainers } from './k8s-env';
import { materialiseSandboxKeys, sandboxKeyFiles } from './sandbox-keys';
import { NOT_SECRET, SECRET_LOOKING, generatedSecretValue, isSecretVariable } from './secrets';
import { K8sObject, SANDBOX, SERVICE_NAMES, loadCompose, loadKustomizedObjects } from './workspace';

const objects = loadKustomizedObjects();
const compose = loadCompose();

/** The image sets it (Dockerfile `ENV NODE_ENV=production`); Node and libraries read it. */
const IMAGE_ENV = { NODE_ENV: 'production' };

function deployment(app: string): K8sObject {
  const found = objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name === app,
  );
  if (!found) throw new Error(`k8s/ has no Deployment ${app}`);

  return found;
}

/** What a pod of the app would see, with a freshly generated value in place of each secret. */
function k8sEnvironment(app: string): Record<string, string> {
  const env = containerEnv(podContainers(deployment(app))[0], objects);
  const secrets = Object.fromEntries(
    Object.entries(env.fromSecrets).map(([name, { key }]) => [name, generatedSecretValue(key)]),
  );

  return { ...IMAGE_ENV, ...env.plain, ...secrets };
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

describe.each([...SERVICE_NAMES, SANDBOX.name])('the configuration of %s', (app) => {
  it("names only variables of the app's config schema, in docker-compose.yml", () => {
    const variables = appConfigVariables(app);
    const unknown = Object.keys(composeEnvironment(composeService(app))).filter(
      (name) => !variables.includes(name),
    );

    expect(unknown).toEqual([]);
  });

  it("passes the app's own validation (--check-config) with the compose environment", async () => {
    const unresolved: string[] = [];
    const env = composeEnvironmentHere(app, unresolved);

    const result = await runCheckConfig(app, { ...IMAGE_ENV, ...env });

    expect(unresolved).toEqual([]);
    expect(result).toEqual({ exitCode: 0, output: expect.stringContaining('configuration ok') });
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
      (name) => !variables.includes(name) && !(name in IMAGE_ENV),
    );

    expect(unknown).toEqual([]);
  });

  it('gives every required secret of the schema through a secretKeyRef', () => {
    const env = containerEnv(podContainers(deployment(app))[0], objects);
    const secretsInSchema = appConfigVariables(app).filter(isSecretVariable);

    expect(Object.keys(env.fromSecrets).sort()).toEqual(secretsInSchema.sort());
  });

  it("passes the app's own validation (--check-config), with test values as secrets", async () => {
    const result = await runCheckConfig(app, k8sEnvironment(app));

    expect(result).toEqual({ exitCode: 0, output: expect.stringContaining('configuration ok') });
  });

  it('fails that validation, naming the variable, when a secret is malformed', async () => {
    const env = k8sEnvironment(app);
    const [missing] = Object.keys(
      containerEnv(podContainers(deployment(app))[0], objects).fromSecrets,
    )
      .filter((name) => !['DATABASE_URL', 'REDIS_URL'].includes(name))
      .concat('DATABASE_URL');
    // A malformed value rather than an absent one: shared variables have defaults.
    env[missing] = 'short';

    const result = await runCheckConfig(app, env);

    expect(result.exitCode).toBe(1);
    expect(result.output).toContain(missing);
  });
});
