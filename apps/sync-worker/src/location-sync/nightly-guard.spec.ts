import { CronExpressionParser } from 'cron-parser';

import { loadConfig } from '@sm/config';

import { syncWorkerEnv } from '../config/sync-worker.config';
import { localDate, plannedAt } from './nightly-guard.service';

const { NIGHTLY_SYNC_CRON } = loadConfig(syncWorkerEnv, {
  DATABASE_URL: 'postgres://127.0.0.1/unused',
  SERVICE_TOKEN: 'spec-service-token-0123456789abcdef',
});

/** Every local date of 2026 on which the nightly pattern fires, in `zone`. */
function firingDates(zone: string): string[] {
  const firings = CronExpressionParser.parse(NIGHTLY_SYNC_CRON, {
    currentDate: new Date('2025-12-31T00:00:00Z'),
    endDate: new Date('2027-01-02T00:00:00Z'),
    tz: zone,
  });
  const dates: string[] = [];
  while (firings.hasNext()) dates.push(localDate(firings.next().getTime(), zone));

  return dates.filter((date) => date.startsWith('2026-'));
}

describe('the nightly schedule', () => {
  it.each(['America/Santiago', 'America/Havana', 'America/Denver', 'Europe/London', 'UTC'])(
    'fires on every local date of a year in %s, DST switches included',
    (zone) => {
      const dates = new Set(firingDates(zone));

      expect(dates.size).toBe(365);
    },
  );

  it('reads a date in the zone, not in UTC', () => {
    const instant = Date.parse('2026-03-08T06:30:00Z');

    expect(localDate(instant, 'America/Denver')).toBe('2026-03-07');
    expect(localDate(instant, 'UTC')).toBe('2026-03-08');
  });

  it('takes the time a scheduler planned, not the time the job was added', () => {
    const planned = Date.parse('2026-09-06T04:00:00Z');

    expect(plannedAt({ opts: { prevMillis: planned }, timestamp: planned - 86_400_000 })).toBe(
      planned,
    );
    expect(plannedAt({ opts: {}, timestamp: planned })).toBe(planned);
  });
});
