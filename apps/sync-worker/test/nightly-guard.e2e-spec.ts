import { localDate, NightlyGuard } from '../src/location-sync/nightly-guard.service';
import { useScratchDatabase } from './support/scratch-database';

/** The nightly claim, as the location-sync processor makes it for a scheduled run. */
describe('NightlyGuard', () => {
  const LOCATION = 'SMnightlyGuard000001';
  const scratch = useScratchDatabase();
  let guard: NightlyGuard;

  const claimAt = (instant: string, timeZone: string, jobId: string) =>
    guard.claim({
      locationId: LOCATION,
      timeZone,
      date: localDate(Date.parse(instant), timeZone),
      jobId,
    });

  beforeAll(() => {
    guard = new NightlyGuard(scratch.dataSource);
  });

  beforeEach(() => scratch.dataSource.query('DELETE FROM nightly_sync_dates'));

  it('runs one job per local date: a second firing skips, the first job’s retry runs', async () => {
    expect(await claimAt('2026-12-05T00:00:00Z', 'UTC', 'repeat:a')).toBe(true);

    expect(await claimAt('2026-12-05T01:00:00Z', 'UTC', 'repeat:b')).toBe(false);
    expect(await claimAt('2026-12-05T00:00:00Z', 'UTC', 'repeat:a')).toBe(true);
  });

  it('runs the first midnight of a zone GHL moved the location west to, that date', async () => {
    // Midnight of 5 December in UTC, then the run reads Los Angeles from GHL and reschedules:
    // Los Angeles' midnight of 5 December comes 8 hours later.
    expect(await claimAt('2026-12-05T00:00:00Z', 'UTC', 'repeat:utc')).toBe(true);

    expect(await claimAt('2026-12-05T08:00:00Z', 'America/Los_Angeles', 'repeat:la')).toBe(true);
    expect(await claimAt('2026-12-05T09:00:00Z', 'America/Los_Angeles', 'repeat:la2')).toBe(false);
  });
});
