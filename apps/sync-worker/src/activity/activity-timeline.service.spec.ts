import { describeUnderProcessZones } from '../../test/support/process-zones';
import { useScratchDatabase } from '../../test/support/scratch-database';
import { taskRow } from '../records/record-mappers';
import { RecordWriter } from '../records/record-writer.service';
import { ActivityTimeline, TimelinePageRequest } from './activity-timeline.service';

const LOCATION = 'SMtimelineZones00001';
const CONTACT = 'contact-of-1800';
/** Before any zone's standard time: Los Angeles was then −07:52:58, Tokyo +09:18:59. */
const DUE_IN_1800 = '1800-01-01T00:00:00.000Z';
const MAX_PAGES = 6;

/**
 * The timeline paged one entry at a time over two tasks due at one instant of 1800, the cursor
 * carried as the read API carries it (ISO 8601, read back as a Date), under process zones whose
 * offset then had seconds.
 */
describe('the activity timeline at times of local mean time', () => {
  describeUnderProcessZones(__filename);
  const scratch = useScratchDatabase();
  let timeline: ActivityTimeline;

  const readAll = async (order: 'asc' | 'desc'): Promise<string[]> => {
    const ids: string[] = [];
    let after: TimelinePageRequest['after'];
    for (let pages = 0; pages < MAX_PAGES; pages += 1) {
      const page = await timeline.page(LOCATION, CONTACT, { limit: 1, order, after });
      ids.push(...page.entries.map((entry) => entry.id));
      if (!page.next) break;

      const occurredAt = new Date(page.next.occurredAt.toISOString());
      after = { occurredAt, position: page.next.position };
    }

    return ids.filter((id) => id.startsWith('task.due'));
  };

  beforeAll(async () => {
    timeline = new ActivityTimeline(scratch.dataSource);
    const writer = new RecordWriter(scratch.dataSource);
    const fetched = { locationId: LOCATION, fetchedAt: new Date(), timeZone: 'UTC' };
    const task = (id: string) =>
      taskRow({ id, contactId: CONTACT, title: id, dueDate: DUE_IN_1800 }, CONTACT, fetched);

    await writer.transaction((manager) =>
      writer.upsertChildren(manager, 'tasks', [task('t1'), task('t2')]),
    );
  });

  it('gives each entry once, oldest first', async () => {
    expect(await readAll('asc')).toEqual(['task.due:t1', 'task.due:t2']);
  });

  it('gives each entry once, newest first', async () => {
    expect(await readAll('desc')).toEqual(['task.due:t2', 'task.due:t1']);
  });

  it('reads on from a cursor at the first instant Postgres holds', async () => {
    const after = {
      occurredAt: new Date('-004713-11-24T00:00:00.000Z'),
      position: '1:0000000000000000001',
    };

    const page = await timeline.page(LOCATION, CONTACT, { limit: 1, order: 'asc', after });

    expect(page.entries.map((entry) => entry.id)).toEqual(['task.due:t1']);
  });
});
