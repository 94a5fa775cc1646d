import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Process zones a spec is run under: UTC, one west of UTC and one east of it. */
export const PROCESS_ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'] as const;

/** 2026-01-15 12:00 local time in each zone (no DST in January for any of them). */
const LOCAL_NOON: Record<(typeof PROCESS_ZONES)[number], string> = {
  UTC: '2026-01-15T12:00:00.000Z',
  'America/Los_Angeles': '2026-01-15T20:00:00.000Z',
  'Asia/Tokyo': '2026-01-15T03:00:00.000Z',
};

const ZONE_ENV = 'SM_SPEC_PROCESS_ZONE';
const WORKSPACE = path.resolve(__dirname, '../../../..');
const JEST_CONFIG = path.join(WORKSPACE, 'apps/sync-worker/jest.config.js');

/**
 * Runs the whole spec file again in a jest child process per zone of PROCESS_ZONES, started
 * with that `TZ`: jest hands a spec a copy of `process.env`, so setting `TZ` inside one changes
 * no Date. In the child, a first test proves the zone took (a local time reads as that zone's).
 */
export function describeUnderProcessZones(specFile: string): void {
  const zone = process.env[ZONE_ENV] as (typeof PROCESS_ZONES)[number] | undefined;
  if (zone) {
    it(`runs in the process zone ${zone}`, () => {
      expect(new Date(2026, 0, 15, 12).toISOString()).toBe(LOCAL_NOON[zone]);
    });

    return;
  }

  describe('the same specs in other process zones', () => {
    it.each(PROCESS_ZONES)(
      'pass with TZ=%s',
      (childZone) => {
        const child = runSpecIn(specFile, childZone);

        const passed = child.status === 0 && child.output.includes(`process zone ${childZone}`);
        expect(passed ? 'passed' : child.output).toBe('passed');
      },
      120_000,
    );
  });
}

function runSpecIn(specFile: string, zone: string): { status: number | null; output: string } {
  // Without the run's name the child names its own, and its teardown removes no key of ours.
  const { SM_TEST_RUN: _run, ...env } = process.env;
  const child = spawnSync(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '--config',
      JEST_CONFIG,
      '--runTestsByPath',
      specFile,
      '--ci',
      '--verbose',
      '--colors=false',
    ],
    {
      cwd: WORKSPACE,
      env: { ...env, TZ: zone, [ZONE_ENV]: zone },
      encoding: 'utf8',
      timeout: 110_000,
    },
  );

  return { status: child.status, output: `${child.stdout}\n${child.stderr}` };
}
