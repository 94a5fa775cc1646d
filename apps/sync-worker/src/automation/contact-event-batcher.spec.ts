import { ContactEventBatcher } from './contact-event-batcher';

describe('ContactEventBatcher', () => {
  it('evaluates contacts arriving together in one batch per location, each once', async () => {
    const batches: Array<[string, string[]]> = [];
    const batcher = new ContactEventBatcher({
      evaluate: async (locationId, contactIds) => {
        batches.push([locationId, contactIds]);
      },
      maxBatch: 100,
      lingerMs: 5,
      parallel: 1,
    });

    await Promise.all([
      batcher.add('loc-a', 'c1'),
      batcher.add('loc-a', 'c2'),
      batcher.add('loc-a', 'c1'),
      batcher.add('loc-b', 'c9'),
    ]);

    expect(batches).toEqual(
      expect.arrayContaining([
        ['loc-a', ['c1', 'c2']],
        ['loc-b', ['c9']],
      ]),
    );
    expect(batches).toHaveLength(2);
  });

  it('fails every event of a failed batch, so that each is retried', async () => {
    const batcher = new ContactEventBatcher({
      evaluate: async () => {
        throw new Error('Postgres went away');
      },
      maxBatch: 100,
      lingerMs: 1,
      parallel: 1,
    });

    const outcomes = await Promise.allSettled([batcher.add('loc', 'c1'), batcher.add('loc', 'c2')]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });

  it('takes what arrives during an evaluation as the next batch', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const batcher = new ContactEventBatcher({
      evaluate: async (_, contactIds) => {
        batches.push(contactIds);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      maxBatch: 100,
      lingerMs: 1,
      parallel: 1,
    });

    const first = batcher.add('loc', 'c1');
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = [batcher.add('loc', 'c2'), batcher.add('loc', 'c3')];
    release();
    await Promise.all([first, ...later]);

    expect(batches).toEqual([['c1'], ['c2', 'c3']]);
  });
});
