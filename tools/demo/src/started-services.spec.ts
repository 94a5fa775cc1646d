import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readStartedServices, StartedService, startedServicesFile } from './started-services';

const authService: StartedService = {
  pid: 4242,
  service: 'auth-service',
  port: 3001,
  entry: 'apps/auth-service/src/main.ts',
  startTicks: 123456,
};

describe('the list of started services an earlier demo left', () => {
  let stateDir: string;
  let warnings: string[];
  const warn = (line: string) => warnings.push(line);

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'started-services-'));
    warnings = [];
  });

  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const leave = (content: string) => writeFileSync(startedServicesFile(stateDir), content);

  it('is none, without a warning, when there is no file', () => {
    expect(readStartedServices(stateDir, warn)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('skips only the entries that are not a started service, naming each', () => {
    const entries = [{ ...authService, pid: 1 }, authService, { ...authService, pid: -1 }];
    leave(JSON.stringify({ demoPid: 999, services: entries }));

    const listed = readStartedServices(stateDir, warn);

    expect(listed).toEqual({ demoPid: 999, services: [authService] });
    expect(warnings).toEqual([
      `⚠ ${startedServicesFile(stateDir)}: entry 1 is not a started service, skipped`,
      `⚠ ${startedServicesFile(stateDir)}: entry 3 is not a started service, skipped`,
    ]);
  });

  it.each([
    ['truncated', JSON.stringify({ demoPid: 999, services: [authService] }).slice(0, 40)],
    ['empty', ''],
    ['without a demo pid', JSON.stringify({ services: [authService] })],
  ])('is none when the file is %s, with a warning naming the file', (_, content) => {
    leave(content);

    const listed = readStartedServices(stateDir, warn);

    expect(listed).toBeUndefined();
    expect(warnings).toEqual([
      `⚠ ${startedServicesFile(stateDir)} does not parse: any services it lists are not stopped`,
    ]);
  });
});
