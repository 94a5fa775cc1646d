import { parseDockerfile, stageLineage } from './dockerfile';
import {
  BUILT_MIGRATE,
  SANDBOX,
  SERVICE_NAMES,
  builtMain,
  readWorkspaceFile,
  workspaceFileExists,
} from './workspace';

const { args, stages } = parseDockerfile(readWorkspaceFile('Dockerfile'));
const runtime = stages.at(-1);
const instructions = (stageName: string, keyword: string) =>
  stageLineage(stages, stageName).flatMap((stage) =>
    stage.instructions.filter((instruction) => instruction.keyword === keyword),
  );
const buildCommands = stages
  .flatMap((stage) => stage.instructions)
  .filter((instruction) => instruction.keyword === 'RUN')
  .map((instruction) => instruction.args)
  .join(' && ');

describe('Dockerfile', () => {
  it('builds on node:20-bookworm-slim in every stage', () => {
    const bases = stages
      .map((stage) => stage.from.replace(/^\$\{(\w+)\}$/, (_match, name) => args[name]))
      .filter((base) => !stages.some((stage) => stage.name === base));

    expect(new Set(bases)).toEqual(new Set(['node:20-bookworm-slim']));
  });

  it('installs from the lockfile with npm ci, and the runtime without dev dependencies', () => {
    expect(buildCommands).toMatch(/npm ci\b/);
    expect(buildCommands).toMatch(/npm ci --omit=dev\b/);
  });

  it.each([...SERVICE_NAMES, SANDBOX.name])('builds %s with the workspace build', (app) => {
    expect(buildCommands).toContain(`node tools/build/build-project.mjs apps/${app}`);
  });

  it('builds the migration entry from libs/entities', () => {
    expect(workspaceFileExists('libs/entities/src/cli/migrate.ts')).toBe(true);
    expect(buildCommands).toContain('node tools/build/build-project.mjs libs/entities');
    expect(BUILT_MIGRATE).toBe('dist/libs/entities/libs/entities/src/cli/migrate.js');
  });

  it('makes the production image (the last stage) the default target, named runtime', () => {
    expect(runtime?.name).toBe('runtime');
  });

  it.each(SERVICE_NAMES)('ships the built %s in the production image', (app) => {
    const copies = instructions('runtime', 'COPY').map((instruction) => instruction.args);

    expect(copies).toContainEqual(
      expect.stringContaining(`/src/dist/apps/${app} ./dist/apps/${app}`),
    );
  });

  it('ships the migration entry, and not the sandbox, in the production image', () => {
    const copies = instructions('runtime', 'COPY').map((instruction) => instruction.args);

    expect(copies).toContainEqual(
      expect.stringContaining('/src/dist/libs/entities ./dist/libs/entities'),
    );
    expect(copies.join(' ')).not.toContain(SANDBOX.name);
  });

  it('ships the sandbox in the sandbox target only, which runs it by default', () => {
    const copies = instructions('sandbox', 'COPY').map((instruction) => instruction.args);
    const [command] = instructions('sandbox', 'CMD');

    expect(copies).toContainEqual(expect.stringContaining(`./dist/apps/${SANDBOX.name}`));
    expect(JSON.parse(command.args)).toEqual(['node', builtMain(SANDBOX.name)]);
  });

  it.each(['runtime', 'sandbox'])(
    'runs the %s image in production mode as a non-root user',
    (stage) => {
      const [user] = instructions(stage, 'USER');
      const env = instructions(stage, 'ENV').map((instruction) => instruction.args);

      expect(user.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
      expect(env).toContain('NODE_ENV=production');
    },
  );

  it('starts a service by default, its built main', () => {
    const [command] = instructions('runtime', 'CMD');
    const argv = JSON.parse(command.args);

    expect(SERVICE_NAMES.map(builtMain)).toContain(argv[1]);
    expect(argv[0]).toBe('node');
  });

  it('declares no HEALTHCHECK: compose and k8s probe the health routes themselves', () => {
    const healthchecks = stages.flatMap((stage) =>
      stage.instructions.filter((instruction) => instruction.keyword === 'HEALTHCHECK'),
    );

    expect(healthchecks).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const patterns = readWorkspaceFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('keeps local state and secrets out of the build context', () => {
    expect(patterns).toEqual(
      expect.arrayContaining(['.git', '**/node_modules', 'dist', '.env', '.env.*']),
    );
  });

  it('keeps what the build needs', () => {
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'apps',
      'libs',
      'vendor',
      'tools/build',
    ];

    expect(
      patterns.filter((pattern) =>
        needed.some((path) => path === pattern || path.startsWith(`${pattern}/`)),
      ),
    ).toEqual([]);
  });
});
