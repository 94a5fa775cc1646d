// `npm run bench -- sync`: the sync worker's full sync and nightly reconciliation, against the
// sandbox with its rate limits off.
//
// 0. The sync worker is built as the Dockerfile builds it; the bench runs what ships.
// 1. A fresh worker process syncs a location of 2,000 contacts (its JIT warms up, as in a worker
//    that has been running), then one of 10,000 contacts with their tasks, notes and
//    appointments: records written per second (from the run's own duration), and the process'
//    peak RSS (VmHWM). The sandbox has answered the same calls once before (see warmSandbox).
// 2. Baseline, same run: the same rows written by a bare multi-row INSERT (1,000 rows a
//    statement) into empty copies of the record tables, three times; the fastest pass counts.
//    vs_insert = sync rate / insert rate.
// 3. 1 % of the contacts change in GHL (no webhooks); a nightly reconciliation runs: GHL calls
//    per contact, from the run's own count.
// 4. Another fresh worker process, warmed up the same way, syncs 50,000 contacts: rss_ratio = its
//    peak RSS over the 10,000-contact one's. The workers run node as the pod does
//    (k8s/sync-worker.yaml: its NODE_OPTIONS and node's options in its command), so the heap
//    measured is the pod's: bounded, a sync's live heap near 75 MB at either size, garbage let
//    grow up to halfway to the bound before a full collection. A sync that held more than the
//    bound would fail the bench (out of memory) instead of passing it.
// 5. Floors, same run, right after the 10k sync and against its location.
//    `fetch-only` makes exactly the GHL calls that sync made (the same endpoints, paging and
//    concurrency, over HTTP to the same sandbox with the same token, through a keep-alive pool of
//    the worker's connection count), parses each answer and writes nothing. Its records_per_s is
//    the sync's record count over the floor's wall time; its vs_insert bounds what any sync that
//    fetches from this sandbox on this machine can reach, before it writes a row. Its call count
//    is checked against the sync run's.
//    `write replay` writes the location's stored rows again with the worker's own upsert (same
//    statement, JSON parameter and triggers) into a fresh database, 1,000 rows a statement, and
//    nothing else: the writes' CPU (client and Postgres), with and without the activity
//    timeline's triggers. `floor cpu` adds the two floors' CPU and spreads it over the cores: the
//    rate of a sync that did nothing but these calls and these writes, perfectly overlapped, with
//    every core busy throughout. The sync cannot beat it on this machine. Its second figure is
//    the same without the timeline's triggers: what the activity history costs the ratio.
// The machine's busy CPU (every process) during the sync is logged beside its wall time.
//
// Progress goes to stderr; the last line of stdout is the figures, the floors' lines before it.
//
// How vs_insert got to its 0.5 target, on 2 cores shared by the worker, the sandbox, Postgres
// and Redis: 0.22 at the start of the fourth session, 0.33-0.37 in the eighth, 0.45-0.50 at the
// tenth's end, 0.41-0.48 at the twelfth's, 0.42-0.53 at the thirteenth's, 0.41-0.52 at the
// fourteenth's (the mean 0.47), 0.44-0.52 at the fifteenth's (12 runs, the mean 0.48), 0.53-0.58
// at the sixteenth's (see its paragraph, the last). Each session's findings follow. A 10k sync
// keeps the 2 cores ~80 % busy from its first batch to its last (per-process CPU sampled every
// 0.1 s): it is bound by CPU. In the sixth session a 10k sync took 3.5-3.9 s and 5.6-6.8 s of
// machine CPU; `floor cpu` was 0.72-0.76.
// Per process (sixth session): the worker 2.1-2.7 s (its main thread ~1.9 s, busy half of the
// sync; the rest is V8's GC and compiler threads), Postgres 2.4-2.5 s, the sandbox 0.64-0.9 s.
// Postgres by statement (pg_stat_statements on a private cluster): the activity timeline's
// trigger INSERTs ~1.3 s (88,191 rows for 55,185 records; the tasks' 44,591 alone 0.6-0.7 s), the
// record upserts ~0.9 s, ANALYZE 0.15 s (0.39 s until it took the lookup columns only), marking
// children fetched 0.14 s. A timeline row costs ~10 µs: of the task trigger's 460 ms for 44,334
// rows replayed alone, the dedupe index with its ON CONFLICT probe ~185 ms (the probe ~110), the
// timeline index ~90 ms, the id key ~30 ms, the dedupe key's md5 ~30 ms, the heap and the rows'
// building the rest. With no insert triggers at all, a 10k sync took 3.1 s (0.40) against
// 3.5-3.6 s (0.34-0.36) in the same session. The fifth session's perf of the worker: GC ~0.5 s,
// the HTTP and GHL clients ~0.4 s, V8 compiling ~0.25 s, row mapping and JSON ~0.2 s. So 0.5
// needs both far fewer timeline rows (creation events read from the record rows at query time
// instead of copied at insert, which changes what the history keeps, a product decision) and a
// third of the worker's and the sandbox's CPU gone (notes and appointments have no bulk endpoint:
// 20,302 calls). Measured without gain: pipelining the contact writes with the child fetches
// (CPU-bound), COLLATE "C" on the keys and a uuid dedupe key for the timeline (its index cost is
// page work, not comparisons), larger V8 semi-spaces or heap, --single-threaded-gc, a compiled
// (swc) worker instead of ts-node, 64 concurrent child fetches. The bare INSERT moves
// 38,000-50,000 rows/s between runs (27,000-35,000 on slower days), which moves every ratio most.
// Seventh session, on a slower machine (bare INSERT 19,000-30,000 rows/s): vs_insert 0.31-0.45
// over 14 runs. The worker ran from source had loaded `domain` (through ts-node's REPL), whose
// async hooks cost ~5 % of its CPU; tools/run-ts.cjs no longer loads it, as the built worker
// never did. A worker profile of the 10k sync: socket writes of the GHL requests ~15 % (the
// kernel's loopback send, paid by the fetch-only floor too), GC ~11 %, undici ~9 %, the rows'
// JSON for the upserts ~9 %, parsing GHL's answers ~4 %, phone parsing ~3 %.
// Eighth session (bare INSERT 26,000-33,000 rows/s): vs_insert 0.31-0.36 over 8 runs, the floors
// 0.66-0.93 (1.01-1.32 without the timeline). pg_stat_statements on a private cluster: the
// timeline's statement triggers are about half of Postgres' executor time in a first sync
// (105,000 rows for 55,185 records, the tasks' 56,000: created, due, completed).
// Ninth session (bare INSERT 28,000-35,000 rows/s): the timeline now stores only what a row
// cannot tell (13,000 rows; creations and due dates are read from the records), and vs_insert
// went from 0.34-0.40 (5 runs) to 0.43-0.44 (2 runs of the final code); the write replay's
// Postgres CPU from 2,230 to 960 ms, the 50k sync from 30.3 to 23.3 s, and `floor cpu` is 1.04-
// 1.09. The worker is now the largest user: 3.1 s of the 6.1-6.4 s of machine CPU. Its GHL
// client costs 53 us a call against a bare undici pool's 32 (a throwaway bench of 4,000 calls):
// the run's abort signal 6 us (undici adds a listener per request), the rate governor 3 us, the
// rest its layers; its HTTP writes alone (the kernel's loopback send) are ~18 % of its CPU. Tried
// without gain in wall time (A/B pairs of the 10k sync): a synchronous path for reserved rate
// slots and unneeded observations, writing the next batch's contacts while this batch's children
// are fetched. 0.5 would need about a quarter of the worker's CPU gone.
// Tenth session, on a noisier machine (bare INSERT 12,000-20,000 rows/s; the same code's worker
// took 5.2 to 7.4 s of CPU for the 10k sync from run to run, the fetch-only floor 3.2 to 5.3 s):
// the bare INSERT now counts its fastest of three passes (the session's first code read 0.49-
// 0.63 over 4 runs against one pass, 0.44-0.45 over 2 against three). A worker profile of the
// 10k sync found the request logger's AsyncLocalStorage, turned on by the first health probe,
// making every promise pay an async hook (~4 % of its CPU), and toISOString ~3 %; both are gone,
// and the transport reads its answers through undici's dispatch (a sixth less CPU a call in a
// loopback bench), the client's layers cost half as much, and the upsert rows are shaped by a
// function made per table. Against three passes: 0.49-0.50 after the first two (2 runs, beside
// the 0.44-0.45), 0.37-0.48 over 5 runs after the dispatch as the machine slowed (its floors
// too: `floor cpu` 0.75-0.94, from 0.94-1.10), and 0.45, 0.46, 0.50 with the final code (10k
// sync 5.2-6.4 s, the worker's CPU 4.3-5.3 s). The worker's main thread is busy 85-88 % of the
// sync; its HTTP stack (undici, the socket writes, parsing the answers) is ~30 % of that, GC 8 %.
// Eleventh session, a faster machine for Postgres (bare INSERT 31,000-37,000 rows/s): the same
// code read 0.39-0.45 over 13 runs (10k sync 3.4-4.0 s; worker 2.7-3.3 s of CPU, Postgres 1.7-
// 1.9 s, the sandbox 1.0-1.2 s; the machine 75-85 % busy in every 100 ms of it). The bench now
// waits for the worker to settle after each sync: the warm-up's health scores (2,000 contacts)
// had run beside the measured sync. Postgres' part beyond the write replay's ~1 s
// (pg_stat_statements on a private cluster): ANALYZE ~200 ms (three times; once only, at 100
// contacts, made the per-batch lookups slow down with the table: 2.5 s for the notes' in a 50k
// sync), marking children fetched ~150 ms, reading stored children to tombstone and tasks to
// compare ~190 ms (no rows in a first sync), the contact locks and the needing query ~75 ms.
// Tried without gain: --max-semi-space-size 4, 8 and 32 (32 cost the worker ~0.4 s of CPU), and
// again writing the next batch's contacts while this batch's children are fetched (0.39-0.45).
// Where more could come from, each a few per cent at most: the worker allocates ~1 GB in a 10k
// sync (V8's sampling heap profiler, collected objects included), scavenging every ~50 ms and
// promoting ~2.5 MB each time; the largest sites are the answers' text and JSON, the upserts'
// JSON with its ISO times (~80 MB), and pg's array literals for the id parameters (~40 MB).
// Postgres unpacks a contact row from the JSON parameter in ~20 us, five times a note's: the two
// custom field objects are most of it; jsonb_populate_recordset takes a third off the contacts'
// (a notes' or tasks' statement is no faster with it). The task walk's read of stored tasks
// (to write only changed ones) finds none in a first sync: ~100 ms of Postgres.
// Twelfth session (bare INSERT 28,000-38,500 rows/s): the walk's timeline, batch by batch,
// showed each 500-contact write (~65 ms: mapping 11, of which phones 80 %; the upsert 33; held
// events 6; the needing query and commit 15) run between two child fetches (~100-200 ms each),
// with the fetching idle; the task walk ends at ~2.7 s of ~3.9 s, off the critical path. The
// contact write now runs while the batch before has its children fetched: the 10k sync took
// 3204, 3581, 3683 ms against 3919, 3633, 4044 in A/B pairs (vs_insert 0.41-0.48 since, the
// bare INSERT's speed moving it most). The children fetch is now the critical path, at ~170 us
// a call against the fetch-only floor's ~46 us: the worker's main thread is busy ~70 % of the
// sync and its event loop waits 4 ms at p90 and 15 ms at p99 (monitorEventLoopDelay).
// Measured without gain: 48 GHL connections instead of 16 (3206 against 3304 ms).
// Thirteenth session (bare INSERT 26,000-36,500 rows/s): per batch, the children fetch took
// ~150-280 ms while the task walk ran beside it (until ~3.2 s of ~3.9 s) and ~80-150 ms after;
// the children writes never held it up. pg_stat_statements of the 10k sync: the statement
// triggers of inserted tasks and appointments (13,000 timeline rows and transition tables of
// every inserted row) took 350 ms of Postgres' ~1.9 s; the contacts' upsert 418 ms, of which
// reading the JSON parameter as json (its nested objects parsed twice) a third; the task walk's
// reads of stored tasks to compare 95 ms, finding none. All three are gone: what an insert finds
// done is kept in its row and read from there, the upserts read jsonb, a first walk compares
// nothing. Postgres' CPU for the sync went from 1.8-2.3 s to 1.6-2.0 s, the write replay's from
// 1.74-1.86 s to 1.33-1.52 s; vs_insert read 0.53, 0.52, 0.44, 0.47, 0.47, 0.52, 0.45, then,
// as the machine slowed (the same code's worker 3.6-3.7 s of CPU instead of 2.9-3.3), 0.42,
// 0.46, 0.49, 0.42, 0.45 (10k sync 3.5-4.5 s); 0.41-0.47 before. The GHL exchanges of a run now
// share one abort listener (EventTarget's per-call bookkeeping was 17-36 ms of the worker's main
// thread). A Redis reservation of rate slots serves ~48 calls (slotBatch 64); the worker's
// ioredis work is ~3 % of its main thread. A CPU profile of the worker (4.2 s window): its
// main thread busy 82 %; undici 25 % (the loopback sends of the requests alone 13 %), GC 13 %
// (a mark-compact every ~500 ms, the in-flight batches promoted), mapping and JSON 10 %.
// Measured without gain: 16 concurrent child fetches instead of 32, a 256 or 384 MB heap bound
// (384 is the pod's) instead of 160, fillfactor 80 on contacts (the fetched marks' UPDATE).
// Fourteenth session, a slower and noisier machine (bare INSERT 17,700-26,400 rows/s; the same
// code's 10k sync 4.4 to 6.8 s from run to run, so single A/B pairs told nothing: the changes below
// were each judged over 5-7 alternating pairs). The worker now runs as built (7 pairs: 5,405 ms on
// average against 5,811 from source; peak RSS ~200 MB instead of ~300, the TypeScript compiler no
// longer in its heap) with 32 MB semi-spaces (5 pairs: 4,950 against 5,278 ms, the worker's CPU 7 %
// lower). Both had been measured without gain in the fifth session (see above), on single pairs;
// here the built worker won 4 of 7 pairs and 32 MB 4 of 5, by their means as given, and the built
// worker's RSS is lower in every run. A first sync asks Postgres which contacts need their children
// only about those it did not insert (~115 ms of Postgres). The final code read 0.50, 0.47, 0.47,
// 0.44, 0.52, 0.41, 0.50 over 7 runs (10k sync 4.5-6.2 s; the worker 3.6-5.2 s of CPU, Postgres
// 2.0-2.6, the sandbox 1.6-2.4; the machine 83-88 % busy), and the session's starting code
// 0.39-0.58 over 12: the mean 0.47 both, the gains smaller than the machine's noise between runs.
// Postgres by statement (pg_stat_statements, one 10k sync): the four upserts 1.8 s, the fetched
// marks' UPDATE of 10,000 wide contact rows 243 ms (each a new row version and its WAL), ANALYZE
// 158, reading stored notes and appointments to tombstone the unlisted (none in a first sync) 155,
// the contact locks 73, the held events 53. Where the worker's main thread goes (busy ~73 %): its
// HTTP 35-40 % (the loopback send of each request ~10 %, undici ~7 %, llhttp ~6 %, JSON.parse
// ~4 %), GC ~11 %, the upserts' JSON ~4 %, phones ~3 %, GHL times ~2 %. A request costs the sandbox
// and the worker more in the sync than in the fetch-only floor (~110 against ~70 us of sandbox
// CPU): with Postgres busy beside them, the same work takes more CPU. Measured without gain: the
// sandbox run as built, every write of the worker serialized (fewer Postgres backends at a time),
// 64 MB semi-spaces (V8 thrashed under the 160 MB old space).
// Fifteenth session (bare INSERT 29,000-37,000 rows/s; the same code's 10k sync 2.9-3.6 s): a
// listed batch is now written with its children in one transaction, and a contact inserted there
// carries its fetched mark from its insert instead of a second version of its whole row (the
// marks' UPDATE) and a third lock. Over 8 alternating pairs against the session's starting code,
// Postgres' CPU for the 10k sync fell from ~1.45 to ~1.25 s; the worker's rose at first (the
// rows marked through spread copies, of another shape, which `rowsAsJson` read about twice as
// slowly), and with the rows marked in place the last 4 pairs read 3,430 ms on average against
// 3,580. vs_insert read 0.44-0.52 for the final code and 0.43-0.54 for the starting code in the
// same session, the mean 0.48 both: the bare INSERT moved between runs by more than the change.
// Skipping, for contacts the batch inserts, the read of stored notes and appointments to
// tombstone (~100 ms of Postgres) was undone: a child listed under one contact but naming
// another, and an uninstall purge racing a contact sync, leave live rows under a contact not
// stored (see `writeLiveChildren`). Measured without gain: reserving rate slots from Redis before
// the last ones are taken (the lanes waited for refills ~5.6 at a time, yet the sync was no
// faster). Where the machine's CPU goes is unchanged: the worker's loopback sends of its requests
// (writeLatin1String, ~11 % of its main thread), GC ~11 %, the sandbox's sends (writev) ~24 % of
// its; the machine is ~80 % busy in every 100 ms of the sync.
// Sixteenth session (bare INSERT 34,600-37,800 rows/s): the worker's threads, read from /proc,
// showed its main thread ~1.9 s of CPU in a 10k sync and V8's helper threads ~0.95 s more; perf
// of the whole machine put a third of the worker's CPU in GC, mostly marking the old space. A
// sync promotes its batches (they outlive two young collections before they are written, ~50
// MB/s) and V8, under a bound of 160 MB or of 336, let the old space grow only to ~1.9 times what
// a full collection left live (~54 MB, most of it the loaded code): it marked the whole heap
// every ~0.35 s. The pod now runs node with V8's growth factor for large heaps (4, through
// --heap-growing-percent; k8s/sync-worker.yaml), and the bench runs the workers as that pod does
// (its bound is 336 MB, where the bench's workers had 160): one full collection in the 10k sync
// instead of about ten. Over 4 alternating pairs against the fifteenth session's settings, the
// 10k sync took 2,551-2,859 ms against 3,185-3,498 ms, the worker 1,750-2,000 ms of CPU against
// 2,710-3,060, the 50k sync 17.5-17.7 s against 19.6-20.7 s; vs_insert 0.53-0.58 against
// 0.44-0.50, rss_ratio 1.10 against 1.04-1.08, the 50k sync's peak RSS ~323 MB against ~234
// (the pod's limit is 512 MiB). Its bound unchanged, the heap holds garbage longer, not more.
// The bound alone (336 MB instead of 160, V8's factor left as it was) read 2,978-3,247 ms
// against 3,176-3,295 over 3 pairs, within the noise, as in the thirteenth session: V8 kept its
// factor near 1.9 under either bound.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

import { ConnectionOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadAll } from 'js-yaml';
import { DataSource } from 'typeorm';
import { Pool } from 'undici';

import { Connection, ConnectionStatus, dataSourceOptions, SyncRun } from '@sm/entities';
import { GHL_API_VERSION, GHL_CLIENT_DEFAULTS } from '@sm/ghl-client';
import {
  DEFAULT_JOB_OPTIONS,
  JobName,
  QueueName,
  redisOptionsFromUrl,
  syncCompletedQueue,
} from '@sm/queues';
import {
  createTestDatabase,
  deleteQueueKeys,
  freePort,
  ServiceProcess,
  startServiceProcess,
  TEST_REDIS_URL,
  TestDatabase,
  uniqueQueuePrefix,
  WORKSPACE_ROOT,
} from '@sm/testing';

import {
  sandboxAccessToken,
  startSandbox,
  startTokenEndpoint,
} from '../apps/sync-worker/test/sandbox-harness';
import { wholeBodyExchange } from '../libs/ghl-client/src/http/whole-body-exchange';
import { mapWithConcurrency } from '../apps/sync-worker/src/location-sync/map-with-concurrency';
import { prefetchPages } from '../apps/sync-worker/src/location-sync/prefetch-pages';
import type { RecordRow } from '../apps/sync-worker/src/records/record-mappers';
import {
  ChildTables,
  ContactsTable,
  RecordTable,
} from '../apps/sync-worker/src/records/record-tables';
import { upsertRows } from '../apps/sync-worker/src/records/upsert-rows';

const SMALL = { locationId: 'SMbenchSync10k000001', contacts: 10_000 };
const LARGE = { locationId: 'SMbenchSync50k000001', contacts: 50_000 };
/** Synced by each measured worker before its measured sync, so that its JIT has warmed up. */
const WARM_UP = { locationId: 'SMbenchSyncWarm00001', contacts: 2_000 };
const CHANGED_SHARE = 0.01;
const SERVICE_TOKEN = 'bench-sync-token-0123456789abcdef';
const SCOPES =
  'contacts.readonly locations.readonly locations/tasks.readonly locations/customFields.readonly';
const RECORD_TABLES = ['contacts', 'contact_tasks', 'contact_notes', 'contact_appointments'];
const UPSERT_TABLES: RecordTable[] = [ContactsTable, ...Object.values(ChildTables)];
/** /proc/stat's clock tick (USER_HZ), in ms. */
const TICK_MS = 10;
const INSERT_CHUNK = 1_000;
/**
 * Passes of the bare INSERT; the fastest is the baseline. Three passes of one run differ by up
 * to a quarter (16,000 to 21,000 rows/s on one machine), and a slow single pass flattered every
 * ratio; the fastest is the hardest baseline for the sync to meet.
 */
const INSERT_PASSES = 3;
const RUN_TIMEOUT_MS = 600_000;
/** The bench worker's CHILD_FETCH_CONCURRENCY (its default is 6), and the floor's. */
const CHILD_FETCH_CONCURRENCY = 32;
/** Contacts and tasks per listing call, as the worker asks for them. */
const PAGE_SIZE = 100;
/** The pod whose node settings the bench's workers run with (see `podNode`). */
const WORKER_POD = 'k8s/sync-worker.yaml';
/** Once a year, at midnight of 1 January: a schedule that no run of the bench meets. */
const NEVER_DURING_A_RUN = '0 0 1 1 *';

const log = (message: string) => process.stderr.write(`sync bench: ${message}\n`);

/** The sync worker as tools/build/build-project.mjs writes it (see `buildWorker`). */
const BUILT_WORKER_ENTRY = 'dist/apps/sync-worker/apps/sync-worker/src/main.js';

async function main(): Promise<void> {
  buildWorker();
  const prefix = uniqueQueuePrefix('bench-sync');
  const database = await createTestDatabase();
  const db = await new DataSource(dataSourceOptions(database.url)).initialize();
  const sandbox = await startSandbox({
    [SMALL.locationId]: SMALL.contacts,
    [LARGE.locationId]: LARGE.contacts,
    [WARM_UP.locationId]: WARM_UP.contacts,
  });
  const tokens = new Map<string, Promise<string>>();
  // One token per location, shared by the workers and the floor: the same credential, checked
  // by the sandbox the same way.
  const tokenFor = (locationId: string) => {
    if (!tokens.has(locationId)) {
      tokens.set(locationId, sandboxAccessToken(sandbox.url, locationId, SCOPES));
    }

    return tokens.get(locationId) as Promise<string>;
  };
  const tokenEndpoint = await startTokenEndpoint({ serviceToken: SERVICE_TOKEN, token: tokenFor });
  const queue = new Queue(QueueName.LocationSync, queueOptions(prefix));
  const context: BenchContext = { database, db, queue, prefix, sandbox, tokenEndpoint };
  try {
    await db.getRepository(Connection).save(
      [SMALL, LARGE, WARM_UP].map(({ locationId }) => ({
        locationId,
        status: ConnectionStatus.Active,
        scopes: SCOPES.split(' '),
      })),
    );
    await warmSandbox(sandbox, SMALL.locationId, await tokenFor(SMALL.locationId));
    const machine = sampleMachineCpu();
    const small = await syncInFreshWorker(context, SMALL.locationId).finally(machine.stop);
    const records = recordsOf(small.run);
    const recordsPerSecond = records / ((small.run.durationMs ?? 1) / 1000);
    const syncCpuMs = machine.busyMsBetween(small.run.startedAt, small.run.finishedAt as Date);
    log(
      `10k: ${records} records in ${small.run.durationMs} ms, ${small.run.ghlCalls} GHL calls, ` +
        `peak RSS ${small.peakRssKb} kB, ` +
        `worker CPU ${small.workerCpuMs} ms, sandbox CPU ${small.sandboxCpuMs} ms, ` +
        `Postgres CPU ${small.postgresCpuMs} ms, ` +
        `machine CPU ${syncCpuMs} ms of ${CORES * (small.run.durationMs ?? 0)} ms on ${CORES} ` +
        `cores`,
    );

    const insertRates: number[] = [];
    for (let pass = 0; pass < INSERT_PASSES; pass += 1) {
      insertRates.push(await bareInsertRate(db, SMALL.locationId));
    }
    const insertPerSecond = Math.max(...insertRates);
    log(
      `bare INSERT: ${Math.round(insertPerSecond)} rows/s, the fastest of ` +
        `${insertRates.map(Math.round).join(', ')}`,
    );

    const floor = await fetchOnlyFloor(sandbox, SMALL.locationId, await tokenFor(SMALL.locationId));
    const floorPerSecond = records / (floor.ms / 1000);
    log(
      `fetch-only: ${floor.calls} GHL calls in ${Math.round(floor.ms)} ms, ` +
        `CPU client ${floor.clientCpuMs} ms, sandbox ${floor.sandboxCpuMs} ms`,
    );

    const writes = await writeReplay(db, SMALL.locationId);
    log(
      `write replay: ${writes.rows} rows in ${Math.round(writes.timeline.ms)} ms, CPU client ` +
        `${writes.timeline.clientCpuMs} ms, Postgres ${writes.timeline.postgresCpuMs} ms; ` +
        `without the activity timeline: client ${writes.bare.clientCpuMs} ms, Postgres ` +
        `${writes.bare.postgresCpuMs} ms`,
    );
    const fetchCpuMs = floor.clientCpuMs + floor.sandboxCpuMs;
    const writeCpuMs = writes.timeline.clientCpuMs + writes.timeline.postgresCpuMs;
    const cpuFloorPerSecond = records / ((fetchCpuMs + writeCpuMs) / CORES / 1000);
    const bareWriteCpuMs = writes.bare.clientCpuMs + writes.bare.postgresCpuMs;
    const bareCpuFloorPerSecond = records / ((fetchCpuMs + bareWriteCpuMs) / CORES / 1000);

    const callsPerContact = await nightlyCallsPerContact(context, SMALL);

    const large = await syncInFreshWorker(context, LARGE.locationId);
    log(
      `50k: ${recordsOf(large.run)} records in ${large.run.durationMs} ms, ` +
        `peak RSS ${large.peakRssKb} kB`,
    );

    const isSameCalls = floor.calls === small.run.ghlCalls && floor.calls === floor.sandboxCalls;
    process.stdout.write(
      `floor check: fetch-only made ${floor.calls} GHL calls (the sandbox counted ` +
        `${floor.sandboxCalls}), the 10k sync run ${small.run.ghlCalls}` +
        `${isSameCalls ? '' : ' (NOT THE SAME CALLS)'}\n`,
    );
    if (!isSameCalls) process.exitCode = 1;
    process.stdout.write(
      `floor fetch-only: records_per_s=${Math.round(floorPerSecond)} ` +
        `vs_insert=${(floorPerSecond / insertPerSecond).toFixed(2)}\n`,
    );

    process.stdout.write(
      `floor cpu: fetching ${fetchCpuMs} ms + writing ${writeCpuMs} ms of CPU over ${CORES} ` +
        `cores: records_per_s=${Math.round(cpuFloorPerSecond)} ` +
        `vs_insert=${(cpuFloorPerSecond / insertPerSecond).toFixed(2)}; without the activity ` +
        `timeline (writing ${bareWriteCpuMs} ms): ` +
        `records_per_s=${Math.round(bareCpuFloorPerSecond)} ` +
        `vs_insert=${(bareCpuFloorPerSecond / insertPerSecond).toFixed(2)}\n`,
    );

    const figures = [
      `records_per_s=${Math.round(recordsPerSecond)}`,
      `vs_insert=${(recordsPerSecond / insertPerSecond).toFixed(2)}`,
      `rss_ratio=${(large.peakRssKb / small.peakRssKb).toFixed(2)}`,
      `calls_per_contact_nightly=${callsPerContact.toFixed(4)}`,
    ];
    process.stdout.write(`sync: ${figures.join(' ')}\n`);
  } finally {
    await queue.close();
    await tokenEndpoint.close();
    await sandbox.process.stop();
    await db.destroy();
    await database.drop();
    await deleteQueueKeys(TEST_REDIS_URL, prefix);
  }
}

interface BenchContext {
  database: TestDatabase;
  db: DataSource;
  queue: Queue;
  prefix: string;
  sandbox: { url: string; process: ServiceProcess };
  tokenEndpoint: { url: string };
}

/**
 * A worker process of its own for one sync, so that its peak RSS is that sync's (the warm-up's
 * smaller location peaks lower). It first syncs WARM_UP: a worker that has been running has
 * compiled its hot code, and a first sync measured in a new process also paid for V8 compiling
 * it (about 0.5 s of CPU on a background thread, 15-20 % of the worker's CPU in the sync).
 */
async function syncInFreshWorker(context: BenchContext, locationId: string) {
  const worker = await startWorker(context);
  try {
    // On demand: every contact's children again, as on the first, when a worker warmed up before.
    await runSync(context, WARM_UP.locationId, 'manual');
    await settle(context);
    const sandboxPid = context.sandbox.process.child.pid as number;
    const workerPid = worker.child.pid as number;
    const sandboxCpuBefore = cpuMsOf(sandboxPid);
    const workerCpuBefore = cpuMsOf(workerPid);
    const postgresCpuBefore = cpuMsOfProcessesNamed('postgres');
    const run = await runSync(context, locationId, 'install');
    const measured = {
      run,
      peakRssKb: peakRssKb(workerPid),
      sandboxCpuMs: cpuMsOf(sandboxPid) - sandboxCpuBefore,
      workerCpuMs: cpuMsOf(workerPid) - workerCpuBefore,
      postgresCpuMs: cpuMsOfProcessesNamed('postgres') - postgresCpuBefore,
    };
    // Its aftermath (the consumers of its sync-completed event) must not run beside what the
    // bench measures next.
    await settle(context);

    return measured;
  } finally {
    await worker.stop();
  }
}

/**
 * Builds the sync worker as the Dockerfile does (type-checked, compiled by swc, run by node), so
 * that the bench measures the worker that ships. Run from source, @swc-node/register holds the
 * TypeScript compiler in the worker's heap: ~100 MB more RSS, and more for every full GC to mark
 * (the same code took 5,811 ms on average for the 10k sync from source against 5,405 built, 7
 * alternating pairs in the fourteenth session). Its output goes to stderr with the progress.
 */
function buildWorker(): void {
  log('building the sync worker');
  execFileSync(process.execPath, ['tools/build/build-project.mjs', 'apps/sync-worker'], {
    cwd: WORKSPACE_ROOT,
    stdio: ['ignore', 2, 2], // its lines join the progress on stderr, off the figures' stdout
  });
}

async function startWorker(context: BenchContext): Promise<ServiceProcess> {
  const port = await freePort();
  const pod = podNode();

  return startServiceProcess({
    entry: BUILT_WORKER_ENTRY,
    nodeArgs: pod.options,
    env: {
      DATABASE_URL: context.database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: context.prefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      GHL_API_BASE_URL: context.sandbox.url,
      AUTH_SERVICE_URL: context.tokenEndpoint.url,
      SERVICE_TOKEN,
      CHILD_FETCH_CONCURRENCY: String(CHILD_FETCH_CONCURRENCY),
      NODE_OPTIONS: pod.nodeOptions,
      GHL_BURST_LIMIT: '1000000000',
      GHL_DAILY_LIMIT: '1000000000',
      // The schedules each sync sets must not fire inside a measured run: before runs of one
      // location waited for each other, a task sweep at :30 walked the task search beside a 50k
      // sync (27 s instead of 20, its task count low), and a skipped or delayed job still costs.
      NIGHTLY_SYNC_CRON: NEVER_DURING_A_RUN,
      TASK_SWEEP_CRON: NEVER_DURING_A_RUN,
    },
    readyUrl: `http://127.0.0.1:${port}/health/live`,
    timeoutMs: 60_000,
  });
}

/**
 * How the worker's pod runs node: NODE_OPTIONS (its heap's bounds) and the options of its
 * command before the script (V8's flags, which NODE_OPTIONS refuses). Semi-spaces of 32 MB
 * instead of V8's 16 halved the young collections of the 10k sync (28 against 57; over 5
 * alternating pairs 4,950 ms against 5,278, fourteenth session). The growth factor: see the
 * bench's header, sixteenth session.
 */
function podNode(): { nodeOptions: string; options: string[] } {
  const manifests = loadAll(readFileSync(path.join(WORKSPACE_ROOT, WORKER_POD), 'utf8'));
  const deployment = manifests.find(
    (manifest): manifest is WorkerDeployment =>
      (manifest as WorkerDeployment)?.kind === 'Deployment',
  );
  const container = deployment?.spec.template.spec.containers.find(
    ({ name }) => name === 'sync-worker',
  );
  const unreadable = (problem: string) =>
    new Error(`${WORKER_POD}: ${problem}; the bench runs the worker as it does`);
  if (!container) throw unreadable('no Deployment with a container named sync-worker');

  const command = container.command;
  if (!Array.isArray(command) || command[0] !== 'node') {
    throw unreadable('its sync-worker container has no command running node, as a list');
  }
  const nodeOptions = container.env?.find(({ name }) => name === 'NODE_OPTIONS')?.value;
  if (nodeOptions === undefined) {
    throw unreadable('its sync-worker container sets no NODE_OPTIONS value of its own');
  }

  return { nodeOptions, options: (command as string[]).slice(1, -1) };
}

interface WorkerDeployment {
  kind: 'Deployment';
  spec: {
    template: {
      spec: {
        containers: {
          name: string;
          command?: unknown;
          env?: { name: string; value?: string }[];
        }[];
      };
    };
  };
}

async function runSync(
  context: BenchContext,
  locationId: string,
  trigger: 'install' | 'manual' | 'nightly',
): Promise<SyncRun> {
  const job = await context.queue.add(JobName.SyncLocation, { locationId, trigger });
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const run = await context.db
      .getRepository(SyncRun)
      .findOneBy({ jobId: job.id as string, status: 'succeeded' });
    if (run) return run;
    if (Date.now() > deadline) throw new Error(`${trigger} sync of ${locationId} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Polls of an idle worker in a row that count as settled, 100 ms apart. */
const SETTLED_POLLS = 3;

/**
 * Waits until the worker has nothing left to do: every sync-completed event published and no
 * job waiting or active in any of its queues (delayed ones, such as the schedules, wait for
 * later). A sync's consumers (the health scores, the automation rules) then no longer run
 * beside the next measured step: the warm-up's beside the measured sync, the measured sync's
 * beside the bare INSERT.
 */
async function settle(context: BenchContext): Promise<void> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const queues = new Map<string, Queue>();
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (let idlePolls = 0; idlePolls < SETTLED_POLLS;) {
      if (Date.now() > deadline) throw new Error('the worker did not settle');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [{ unpublished }] = await context.db.query(
        `SELECT count(*)::int AS unpublished FROM outbox_events WHERE published_at IS NULL`,
      );
      let busy = unpublished;
      for (const key of await redis.keys(`${context.prefix}:*:meta`)) {
        const name = key.slice(context.prefix.length + 1, -':meta'.length);
        if (!isWorkerQueue(name)) continue;
        if (!queues.has(name)) queues.set(name, new Queue(name, queueOptions(context.prefix)));
        const counts = await queues.get(name)?.getJobCounts('waiting', 'active', 'prioritized');
        busy += Object.values(counts ?? {}).reduce((sum, count) => sum + count, 0);
      }
      idlePolls = busy === 0 ? idlePolls + 1 : 0;
    }
  } finally {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    redis.disconnect();
  }
}

/**
 * A queue the sync worker takes jobs from. Those of other services (notifications, token
 * refreshes) have no consumer in the bench: a job waiting there would wait for good.
 */
const isWorkerQueue = (name: string) =>
  WORKER_QUEUES.has(name) || name.startsWith(SYNC_COMPLETED_QUEUES);
/** What every consumer's sync-completed queue name starts with. */
const SYNC_COMPLETED_QUEUES = syncCompletedQueue('any').slice(0, -'any'.length);
const WORKER_QUEUES = new Set<string>([
  QueueName.ContactSync,
  QueueName.LocationSync,
  QueueName.WebhookEvents,
  QueueName.Automation,
]);

const queueOptions = (prefix: string) => ({
  connection: redisOptionsFromUrl(TEST_REDIS_URL) as ConnectionOptions,
  prefix,
  defaultJobOptions: DEFAULT_JOB_OPTIONS,
});

interface FetchOnlyFloor {
  calls: number;
  /** Requests the sandbox counted for the location meanwhile. */
  sandboxCalls: number;
  ms: number;
  clientCpuMs: number;
  sandboxCpuMs: number;
}

/**
 * The fetch-only floor: a first sync's GHL calls in the worker's order and overlap, nothing
 * written. The location's settings; the task search's first page, then its other pages beside
 * the contact walk; the contact pages, one listed ahead; a contact listed without dateUpdated
 * fetched on its own; the custom field definitions with the first page; each page's notes and
 * appointments, CHILD_FETCH_CONCURRENCY contacts at a time. The bench's token has
 * locations/tasks.readonly, so tasks come from the search, as the worker's do.
 */
async function fetchOnlyFloor(
  sandbox: BenchContext['sandbox'],
  locationId: string,
  token: string,
): Promise<FetchOnlyFloor> {
  const client = new FetchOnlyClient(sandbox.url, token);
  const sandboxPid = sandbox.process.child.pid as number;
  const sandboxCallsBefore = await sandboxCallsOf(sandbox.url, locationId);
  const sandboxCpuBefore = cpuMsOf(sandboxPid);
  const clientCpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  try {
    await client.get(`/locations/${locationId}`);
    const firstTasks = await searchTasks(client, locationId, 0);
    const taskWalk = walkTasks(client, locationId, firstTasks);
    taskWalk.catch(() => undefined);
    await walkContacts(client, locationId);
    await taskWalk;
  } finally {
    await client.close();
  }
  const ms = performance.now() - startedAt;
  const clientCpu = process.cpuUsage(clientCpuBefore);

  return {
    calls: client.calls,
    sandboxCalls: (await sandboxCallsOf(sandbox.url, locationId)) - sandboxCallsBefore,
    ms,
    clientCpuMs: Math.round((clientCpu.user + clientCpu.system) / 1000),
    sandboxCpuMs: cpuMsOf(sandboxPid) - sandboxCpuBefore,
  };
}

interface ListedContact {
  id: string;
  dateAdded?: string;
  dateUpdated?: string;
}

interface ContactPage {
  contacts?: ListedContact[];
  meta?: { startAfterId?: string; startAfter?: number };
}

async function walkContacts(client: FetchOnlyClient, locationId: string): Promise<void> {
  let hasFieldDefinitions = false;
  for await (const page of prefetchPages(contactPages(client, locationId))) {
    await mapWithConcurrency(page, CHILD_FETCH_CONCURRENCY, (contact) =>
      contact.dateUpdated ? contact : client.get(`/contacts/${contact.id}`),
    );
    if (!hasFieldDefinitions) await client.get(`/locations/${locationId}/customFields`);
    hasFieldDefinitions = true;
    await mapWithConcurrency(page, CHILD_FETCH_CONCURRENCY, ({ id }) =>
      Promise.all([
        client.get(`/contacts/${id}/notes`),
        client.get(`/contacts/${id}/appointments`),
      ]),
    );
  }
}

/** GET /contacts/ after the answer's meta cursor, or its last contact's; ends without one. */
async function* contactPages(
  client: FetchOnlyClient,
  locationId: string,
): AsyncGenerator<ListedContact[]> {
  let cursor: { startAfterId: string; startAfter: number } | undefined;
  for (;;) {
    const query = new URLSearchParams({ locationId, limit: String(PAGE_SIZE) });
    if (cursor) query.set('startAfterId', cursor.startAfterId);
    if (cursor) query.set('startAfter', String(cursor.startAfter));
    const page = await client.get<ContactPage>(`/contacts/?${query}`);
    const contacts = page.contacts ?? [];
    if (contacts.length > 0) yield contacts;

    const last = contacts[contacts.length - 1];
    const next = page.meta ?? {
      startAfterId: last?.id,
      startAfter: Date.parse(last?.dateAdded ?? ''),
    };
    const hasNext = typeof next.startAfterId === 'string' && Number.isFinite(next.startAfter);
    if (contacts.length === 0 || !hasNext || next.startAfterId === cursor?.startAfterId) return;
    cursor = next as { startAfterId: string; startAfter: number };
  }
}

/** The task search's pages after the first, one at a time, until a short page. */
async function walkTasks(client: FetchOnlyClient, locationId: string, first: unknown[]) {
  async function* pages(): AsyncGenerator<unknown[]> {
    let page = first;
    for (let skip = PAGE_SIZE; page.length === PAGE_SIZE; skip += PAGE_SIZE) {
      page = await searchTasks(client, locationId, skip);
      yield page;
    }
  }
  // Each answer is parsed (in send) and dropped.
  for await (const page of prefetchPages(pages())) void page;
}

async function searchTasks(
  client: FetchOnlyClient,
  locationId: string,
  skip: number,
): Promise<unknown[]> {
  const answer = await client.post<{ tasks?: unknown[] }>(`/locations/${locationId}/tasks/search`, {
    limit: PAGE_SIZE,
    skip,
  });

  return answer.tasks ?? [];
}

/**
 * A small GHL client: one keep-alive undici pool of the worker's connection count, the headers
 * the worker sends, every answer read whole as the worker's transport reads it, then parsed. It
 * counts its calls; it neither retries nor asks for rate slots (the sandbox's limits are off).
 */
class FetchOnlyClient {
  calls = 0;
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(baseUrl: string, token: string) {
    this.pool = new Pool(baseUrl, {
      connections: GHL_CLIENT_DEFAULTS.connections,
      keepAliveTimeout: GHL_CLIENT_DEFAULTS.keepAliveTimeoutMs,
    });
    this.headers = {
      accept: 'application/json',
      'user-agent': GHL_CLIENT_DEFAULTS.userAgent,
      version: GHL_API_VERSION,
      authorization: `Bearer ${token}`,
    };
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, JSON.stringify(body));
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body?: string): Promise<T> {
    this.calls += 1;
    const headers =
      body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' };
    const answer = await wholeBodyExchange(this.pool, { method, path, headers, body });
    if (answer.status !== 200) {
      throw new Error(`fetch-only floor: ${method} ${path} answered ${answer.status}`);
    }

    return JSON.parse(answer.text) as T;
  }
}

async function sandboxCallsOf(sandboxUrl: string, locationId: string): Promise<number> {
  const response = await fetch(`${sandboxUrl}/_sandbox/stats`);
  const stats = (await response.json()) as { requests: { byLocation: Record<string, number> } };

  return stats.requests.byLocation[locationId] ?? 0;
}

/** A process' user and system CPU so far (/proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');

  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The CPU so far of every process named `name` that is still running (those that ended in
 * between, such as an autovacuum worker, are not counted).
 */
function cpuMsOfProcessesNamed(name: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) total += cpuMsOf(Number(pid));
    } catch {
      // Ended while the list was read.
    }
  }

  return total;
}

/** 1 % of the contacts change in GHL; the nightly run's GHL calls per contact. */
async function nightlyCallsPerContact(
  context: BenchContext,
  location: { locationId: string; contacts: number },
): Promise<number> {
  const changes = Math.round(location.contacts * CHANGED_SHARE);
  for (let index = 0; index < changes; index++) {
    await fetch(`${context.sandbox.url}/_sandbox/locations/${location.locationId}/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'contact.update', fields: { city: `Changed ${index}` } }),
    });
  }
  const worker = await startWorker(context);
  try {
    const run = await runSync(context, location.locationId, 'nightly');
    log(`nightly: ${run.ghlCalls} GHL calls, ${run.counts.contacts} contacts written`);

    return run.ghlCalls / location.contacts;
  } finally {
    await worker.stop();
  }
}

/** Rows per second of a bare multi-row INSERT of the location's rows into empty copies. */
async function bareInsertRate(db: DataSource, locationId: string): Promise<number> {
  let rows = 0;
  let elapsedMs = 0;
  for (const table of RECORD_TABLES) {
    const copy = `bench_${table}`;
    await db.query(`CREATE TABLE ${copy} (LIKE ${table} INCLUDING ALL)`);
    const stored: Record<string, unknown>[] = await db.query(
      `SELECT * FROM ${table} WHERE location_id = $1`,
      [locationId],
    );
    const columns = Object.keys(stored[0] ?? {});
    const startedAt = performance.now();
    for (let start = 0; start < stored.length; start += INSERT_CHUNK) {
      const chunk = stored.slice(start, start + INSERT_CHUNK);
      const values = chunk.map(
        (_, row) =>
          `(${columns.map((_column, index) => `$${row * columns.length + index + 1}`).join(', ')})`,
      );
      await db.query(
        `INSERT INTO ${copy} (${columns.join(', ')}) VALUES ${values.join(', ')}`,
        chunk.flatMap((row) => columns.map((column) => jsonReady(row[column]))),
      );
    }
    elapsedMs += performance.now() - startedAt;
    rows += stored.length;
    await db.query(`DROP TABLE ${copy}`);
  }

  return rows / (elapsedMs / 1000);
}

/** pg hands jsonb back as objects: they go back in as JSON text, as the worker sends them. */
const jsonReady = (value: unknown) =>
  value !== null && typeof value === 'object' && !(value instanceof Date) && !Array.isArray(value)
    ? JSON.stringify(value)
    : value;

/**
 * Has the sandbox ready for the sync as GHL is: its records made, its code compiled, its
 * answers at hand. The sandbox makes a seeded contact's tasks, notes and appointments on first
 * read (its export reads every one; the last 16,384 contacts' are kept), keeps each unchanged
 * answer once serialized, and starts as a new process. Those costs are its own, not the sync's,
 * but they are paid on the cores the sync runs on: answering the sync's calls once before (the
 * fetch-only floor's calls, with the sync's token) took 0.3-0.5 s of sandbox CPU off the sync.
 */
async function warmSandbox(
  sandbox: BenchContext['sandbox'],
  locationId: string,
  token: string,
): Promise<void> {
  const response = await fetch(`${sandbox.url}/_sandbox/export/${locationId}`);
  if (!response.ok) throw new Error(`sandbox export answered ${response.status}`);
  await response.arrayBuffer();
  await fetchOnlyFloor(sandbox, locationId, token);
}

interface ReplayCost {
  ms: number;
  clientCpuMs: number;
  postgresCpuMs: number;
}

/**
 * The writes alone: the 10k location's stored rows written again by the worker's own upsert
 * (the same statement, JSON parameter and triggers), into a fresh database, 1,000 rows a
 * statement and a transaction (the sync writes a page, 100 contacts' worth, at a time), with
 * nothing fetched, compared or tombstoned. Once with the activity timeline's triggers, once
 * without them (the bench connects as a superuser, which may turn triggers off for a session).
 */
async function writeReplay(db: DataSource, locationId: string) {
  const rows = new Map<RecordTable, RecordRow[]>();
  for (const table of UPSERT_TABLES) {
    rows.set(
      table,
      await db.query(`SELECT * FROM ${table.name} WHERE location_id = $1`, [locationId]),
    );
  }
  const timeline = await replayInto(rows, true);
  const bare = await replayInto(rows, false);
  const count = [...rows.values()].reduce((sum, tableRows) => sum + tableRows.length, 0);

  return { rows: count, timeline, bare };
}

async function replayInto(
  rows: Map<RecordTable, RecordRow[]>,
  withTimeline: boolean,
): Promise<ReplayCost> {
  const database = await createTestDatabase();
  const replay = await new DataSource(dataSourceOptions(database.url)).initialize();
  const runner = replay.createQueryRunner();
  try {
    await runner.connect();
    if (!withTimeline) await runner.query('SET session_replication_role = replica');
    const [{ pid }]: { pid: number }[] = await runner.query('SELECT pg_backend_pid() AS pid');
    const postgresBefore = cpuMsOf(pid);
    const clientBefore = process.cpuUsage();
    const startedAt = performance.now();
    for (const [table, tableRows] of rows) {
      for (let start = 0; start < tableRows.length; start += INSERT_CHUNK) {
        await runner.startTransaction();
        await upsertRows(runner.manager, table, tableRows.slice(start, start + INSERT_CHUNK));
        await runner.commitTransaction();
      }
    }
    const clientCpu = process.cpuUsage(clientBefore);

    return {
      ms: performance.now() - startedAt,
      clientCpuMs: Math.round((clientCpu.user + clientCpu.system) / 1000),
      postgresCpuMs: cpuMsOf(pid) - postgresBefore,
    };
  } finally {
    await runner.release();
    await replay.destroy();
    await database.drop();
  }
}

const CORES = availableParallelism();

/**
 * The machine's busy CPU (every process: user, nice, system, interrupts; not idle, I/O wait or
 * time the hypervisor took), sampled every 100 ms from /proc/stat until stopped.
 */
function sampleMachineCpu() {
  const samples: { at: number; busyMs: number }[] = [];
  const sample = () => samples.push({ at: Date.now(), busyMs: machineBusyMs() });
  sample();
  const timer = setInterval(sample, 100);

  return {
    stop: () => {
      clearInterval(timer);
      sample();
    },
    /** Busy CPU between two instants, from the samples just outside them. */
    busyMsBetween: (from: Date, to: Date) => {
      const before = samples.filter((entry) => entry.at <= from.getTime()).pop() ?? samples[0];
      const after = samples.find((entry) => entry.at >= to.getTime()) ?? samples.at(-1);

      return (after?.busyMs ?? 0) - before.busyMs;
    },
  };
}

function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq] = fields.slice(1, 8).map(Number);

  return (user + nice + system + irq + softirq) * TICK_MS;
}

const recordsOf = (run: SyncRun) =>
  run.counts.contacts + run.counts.tasks + run.counts.notes + run.counts.appointments;

function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');

  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

main().catch((error) => {
  process.stderr.write(`sync bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
