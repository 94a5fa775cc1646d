import { optionalVariables } from './app-config';
import { composeCommand, composeEnvironment } from './compose-env';
import { sandboxKeyFiles } from './sandbox-keys';
import { SECRET_VARIABLES, isSecretVariable } from './secrets';
import {
  BUILT_MIGRATE,
  IMAGE_REPOSITORY,
  SANDBOX,
  SERVICES,
  SERVICE_NAMES,
  builtMain,
  loadCompose,
} from './workspace';

const { services } = loadCompose();

function service(name: string) {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);

  return found;
}

/** The script of a CMD healthcheck (`test: [CMD, node, -e, <script>]`). */
function healthcheckScript(name: string): string {
  const test = service(name).healthcheck?.test ?? [];

  return Array.isArray(test) ? test.join(' ') : String(test);
}

const SANDBOX_API = `http://${SANDBOX.name}:${SANDBOX.port}`;

describe('docker-compose.yml', () => {
  it('runs Redis with AOF on and noeviction, and checks it answers', () => {
    const command = composeCommand(service('redis')).join(' ');

    expect(command).toMatch(/--appendonly yes\b/);
    expect(command).toMatch(/--maxmemory-policy noeviction\b/);
    expect(healthcheckScript('redis')).toContain('redis-cli');
  });

  it('runs Postgres 16 and checks it accepts connections', () => {
    expect(service('postgres').image).toMatch(/^postgres:16\b/);
    expect(healthcheckScript('postgres')).toContain('pg_isready');
  });

  it('migrates once, with the built entry of the app image, after Postgres is healthy', () => {
    const migrate = service('migrate');

    expect(composeCommand(migrate)).toEqual(['node', BUILT_MIGRATE]);
    expect(migrate.image).toMatch(new RegExp(`^${IMAGE_REPOSITORY}:`));
    expect(migrate.restart ?? 'no').toBe('no');
    expect(migrate.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  describe.each(SERVICE_NAMES)('%s', (app) => {
    const port = SERVICES[app];

    it('runs the built main of this app from the production image', () => {
      const definition = service(app);

      expect(definition.image).toMatch(new RegExp(`^${IMAGE_REPOSITORY}:`));
      expect(definition.build).toMatchObject({ context: '.', target: 'runtime' });
      expect(composeCommand(definition)).toEqual(['node', builtMain(app)]);
    });

    it(`listens on ${port}, published on loopback only`, () => {
      const definition = service(app);

      expect(composeEnvironment(definition).PORT).toBe(String(port));
      expect(definition.ports).toEqual([`127.0.0.1:${port}:${port}`]);
    });

    it('is healthy when /health/ready answers on its PORT', () => {
      const script = healthcheckScript(app);

      expect(script).toContain('/health/ready');
      expect(script).toContain('process.env.PORT');
    });

    it('lets the shell or a .env file set each optional secret, blank (unset) by default', () => {
      const optionalSecrets = optionalVariables(app).filter(isSecretVariable);
      const environment = service(app).environment ?? {};

      expect(optionalSecrets.map((name) => [name, environment[name]])).toEqual(
        optionalSecrets.map((name) => [name, `\${${name}:-}`]),
      );
    });

    it('starts after the migration succeeded and Postgres and Redis are healthy', () => {
      expect(service(app).depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    });

    it('shares one database and one Redis with the migration and the other apps', () => {
      const env = composeEnvironment(service(app));
      const migrateEnv = composeEnvironment(service('migrate'));

      expect(env.DATABASE_URL).toBe(migrateEnv.DATABASE_URL);
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
    });
  });

  it('points the apps that call GHL at the sandbox, and the sandbox at the ingress', () => {
    const auth = composeEnvironment(service('auth-service'));
    const sync = composeEnvironment(service('sync-worker'));
    const sandbox = composeEnvironment(service(SANDBOX.name));

    expect(auth.GHL_API_BASE_URL).toBe(SANDBOX_API);
    expect(sync.GHL_API_BASE_URL).toBe(SANDBOX_API);
    expect(sandbox.SANDBOX_WEBHOOK_URL).toBe(
      `http://webhook-ingress:${SERVICES['webhook-ingress']}/webhooks/ghl`,
    );
    expect(auth.GHL_CLIENT_ID).toBe(sandbox.SANDBOX_CLIENT_ID);
    expect(auth.GHL_CLIENT_SECRET).toBe(sandbox.SANDBOX_CLIENT_SECRET);
    for (const app of ['auth-service', 'sync-worker']) {
      expect(service(app).depends_on).toMatchObject({
        [SANDBOX.name]: { condition: 'service_healthy' },
      });
    }
  });

  it("gives the ingress the sandbox's public keys, as files the key job writes", () => {
    const ingress = composeEnvironment(service('webhook-ingress'));
    const written = sandboxKeyFiles(service('sandbox-webhook-keys'));
    const configured = {
      ed25519: ingress.WEBHOOK_ED25519_PUBLIC_KEY_FILES,
      rsa: ingress.WEBHOOK_RSA_PUBLIC_KEY_FILES,
    };

    expect(configured).toEqual({
      ed25519: expect.stringMatching(/\.pem$/),
      rsa: expect.stringMatching(/\.pem$/),
    });
    expect(written[configured.ed25519]).toBe('ed25519');
    expect(written[configured.rsa]).toBe('rsa');
    expect(service('sandbox-webhook-keys').depends_on).toMatchObject({
      [SANDBOX.name]: { condition: 'service_healthy' },
    });
    expect(service('webhook-ingress').depends_on).toMatchObject({
      'sandbox-webhook-keys': { condition: 'service_completed_successfully' },
    });
  });

  it('lets the sync worker reach the auth service with the same service token', () => {
    const auth = composeEnvironment(service('auth-service'));
    const sync = composeEnvironment(service('sync-worker'));

    expect(sync.AUTH_SERVICE_URL).toBe(`http://auth-service:${SERVICES['auth-service']}`);
    expect(sync.SERVICE_TOKEN).toBe(auth.SERVICE_TOKEN);
  });

  it('runs the sandbox from its own target, listening on its network, not only loopback', () => {
    const sandbox = service(SANDBOX.name);
    const env = composeEnvironment(sandbox);

    expect(sandbox.build).toMatchObject({ context: '.', target: 'sandbox' });
    expect(composeCommand(sandbox)).toEqual(['node', builtMain(SANDBOX.name)]);
    expect(env).toMatchObject({ PORT: String(SANDBOX.port), HOST: '0.0.0.0' });
    expect(sandbox.ports).toEqual([`127.0.0.1:${SANDBOX.port}:${SANDBOX.port}`]);
    expect(healthcheckScript(SANDBOX.name)).toContain('/health/ready');
  });

  it('depends only on services it defines, and mounts only volumes it declares', () => {
    const { volumes = {} } = loadCompose();
    const dependencies = Object.values(services).flatMap((definition) =>
      Object.keys(definition.depends_on ?? {}),
    );
    const namedVolumes = Object.values(services)
      .flatMap((definition) => definition.volumes ?? [])
      .map((volume: string) => volume.split(':')[0])
      .filter((source: string) => !source.startsWith('.') && !source.startsWith('/'));

    expect(dependencies.filter((name) => !(name in services))).toEqual([]);
    expect(namedVolumes.filter((name: string) => !(name in volumes))).toEqual([]);
  });

  it('builds every image it runs from this repository', () => {
    const unbuilt = Object.entries(services)
      .filter(([, definition]) => String(definition.image).startsWith(IMAGE_REPOSITORY))
      .filter(([, definition]) => definition.build?.context !== '.')
      .map(([name]) => name);

    expect(unbuilt).toEqual([]);
  });

  it('marks every secret default as for development only', () => {
    const secretDefaults = Object.entries(services).flatMap(([name, definition]) =>
      Object.entries(composeEnvironment(definition))
        .filter(([variable]) => (SECRET_VARIABLES as readonly string[]).includes(variable))
        .filter(([variable]) => !['DATABASE_URL', 'REDIS_URL'].includes(variable))
        // Blank is unset: an optional secret passed through from the shell holds nothing here.
        .filter(([, value]) => value !== '')
        .map(([variable, value]) => ({ service: name, variable, value })),
    );

    expect(secretDefaults.length).toBeGreaterThan(0);
    expect(secretDefaults.filter(({ value }) => !/dev-only/i.test(value))).toEqual([]);
  });
});
