import { composeEnvironment } from './compose-env';
import { containerEnv, podContainers } from './k8s-env';
import { declaredRoutes, filesMentioning, matchesPrefix } from './routes';
import {
  K8sObject,
  SANDBOX,
  SERVICES,
  SERVICE_NAMES,
  loadCompose,
  loadKustomizedObjects,
  readWorkspaceFile,
  workspaceFileExists,
} from './workspace';

/** What the outside world may call: GHL's deliveries and the two legs of the OAuth flow. */
const PUBLIC_ROUTES = ['GET /oauth/install', 'GET /oauth/callback', 'POST /webhooks/ghl'];

const objects = loadKustomizedObjects();
const ingress = objects.find((object) => object.kind === 'Ingress');
const ingressPaths: Array<{ host: string; path: string; service: string }> =
  ingress?.spec.rules.flatMap((rule: { host: string; http: { paths: never[] } }) =>
    rule.http.paths.map((entry: { path: string; backend: { service: { name: string } } }) => ({
      host: rule.host,
      path: entry.path,
      service: entry.backend.service.name,
    })),
  ) ?? [];

const healthRoutes = declaredRoutes('libs/platform/src').map(
  (route) => `${route.method} ${route.path}`,
);
const routesOf = (app: string) =>
  declaredRoutes(`apps/${app}/src`).map((route) => `${route.method} ${route.path}`);

describe('the routes the manifests rely on', () => {
  it('are the health routes libs/platform serves: /health/live and /health/ready', () => {
    expect(healthRoutes).toEqual(expect.arrayContaining(['GET /health/live', 'GET /health/ready']));
  });

  it.each(SERVICE_NAMES)(
    '%s serves the health routes (its AppModule imports HealthModule, or it declares them)',
    (app) => {
      const appModule = `apps/${app}/src/app.module.ts`;
      const importsPlatformHealth = /\bHealthModule\b/.test(readWorkspaceFile(appModule));
      // The ingress declares its own: its readiness follows Postgres only.
      const declaresThem = ['GET /health/live', 'GET /health/ready'].every((route) =>
        routesOf(app).includes(route),
      );

      expect(workspaceFileExists(appModule)).toBe(true);
      expect({ app, serves: importsPlatformHealth || declaresThem }).toEqual({ app, serves: true });
    },
  );

  it('are whole paths: no app sets a global prefix', () => {
    const dirs = ['libs/platform/src', ...SERVICE_NAMES.map((app) => `apps/${app}/src`)];

    expect(dirs.flatMap((dir) => filesMentioning(dir, 'setGlobalPrefix('))).toEqual([]);
  });

  it('route each public path of the Ingress to an app that serves it', () => {
    for (const route of PUBLIC_ROUTES) {
      const [, routePath] = route.split(' ');
      const entry = ingressPaths.find(({ path }) => matchesPrefix(path, routePath));

      expect({ route, app: entry?.service }).toEqual({ route, app: expect.any(String) });
      expect(routesOf(entry?.service ?? '')).toContain(route);
    }
  });

  it('expose through the Ingress no route but the public ones', () => {
    const exposed = ingressPaths.flatMap(({ path, service }) =>
      routesOf(service).filter((route) => matchesPrefix(path, route.split(' ')[1])),
    );

    expect([...new Set(exposed)].sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it("send GHL's OAuth callback, in k8s, to the Ingress host's callback route", () => {
    const deployment = objects.find(
      (object) => object.kind === 'Deployment' && object.metadata.name === 'auth-service',
    );
    const env = containerEnv(podContainers(deployment as K8sObject)[0], objects);
    const redirect = new URL(env.plain.GHL_REDIRECT_URI);

    expect(redirect.protocol).toBe('https:');
    expect(ingressPaths.map(({ host }) => host)).toContain(redirect.host);
    expect(routesOf('auth-service')).toContain(`GET ${redirect.pathname}`);
  });

  it("send the sandbox's OAuth callback, in compose, to the auth service's published port", () => {
    const env = composeEnvironment(loadCompose().services['auth-service']);
    const redirect = new URL(env.GHL_REDIRECT_URI);

    expect(redirect.host).toBe(`localhost:${SERVICES['auth-service']}`);
    expect(routesOf('auth-service')).toContain(`GET ${redirect.pathname}`);
  });

  it('reach the sandbox, in compose, on routes it serves', () => {
    const { services } = loadCompose();
    const auth = composeEnvironment(services['auth-service']);
    const keyJob = services['sandbox-webhook-keys'].command.join(' ');
    const authorize = new URL(auth.GHL_AUTHORIZE_URL);
    const keysUrl = /fetch\('([^']+)'\)/.exec(keyJob)?.[1] ?? '';
    const sandboxRoutes = routesOf(SANDBOX.name);

    expect(authorize.host).toBe(`localhost:${SANDBOX.port}`);
    expect(sandboxRoutes).toContain(`GET ${authorize.pathname}`);
    expect(new URL(keysUrl).host).toBe(`${SANDBOX.name}:${SANDBOX.port}`);
    expect(sandboxRoutes).toContain(`GET ${new URL(keysUrl).pathname}`);
    expect(sandboxRoutes).toEqual(
      expect.arrayContaining(['POST /oauth/token', 'GET /health/ready']),
    );
  });

  it("post the sandbox's webhooks, in compose, to the ingress' webhook route", () => {
    const env = composeEnvironment(loadCompose().services['ghl-sandbox']);
    const target = new URL(env.SANDBOX_WEBHOOK_URL);

    expect(target.host).toBe(`webhook-ingress:${SERVICES['webhook-ingress']}`);
    expect(routesOf('webhook-ingress')).toContain(`POST ${target.pathname}`);
  });
});
