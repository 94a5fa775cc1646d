import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { Connection, ConnectionStatus } from '@sm/entities';
import { QueueName, redisOptionsFromUrl } from '@sm/queues';

import type { SyncWorkerConfig } from '../config/sync-worker.config';
import { SYNC_WORKER_CONFIG } from '../config/sync-worker-config.token';
import { describeError } from '../failures/job-errors';
import { LocationUnavailableError, UnavailableReason } from '../tokens/location-unavailable.error';

/** What a job may do for a location right now. */
export type LocationStanding =
  /** `version`: the connection row as read (its `xmin`), which a pause is taken against. */
  | { kind: 'active'; connection: Connection; version: string }
  /** Not installed (or uninstalled): the job has nothing to do. */
  | { kind: 'gone' }
  /** Waiting for a person or for GHL: put the job off until `until`. */
  | { kind: 'paused'; until: number; reason: UnavailableReason };

/** A pause as Redis holds it: until when, why, and the version of the row it was taken on. */
interface Pause {
  until: number;
  reason: UnavailableReason;
  version: string;
}

/** A pause read from Redis, with the value as it was stored. */
type HeldPause = Pause & { stored: string };

/** Put-off jobs taken from the record, and promoted together, at a time. */
const PROMOTION_BATCH = 100;
/** Locations re-checked together by `recheckAll`. */
const RECHECK_BATCH = 20;

/** Deletes the key only while it holds the value read: a pause set since then stays. */
const DELETE_IF_UNCHANGED =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * Decides whether a location may be synced. A location the auth service refuses a token for
 * (re-auth needed, or GHL reports it inactive) is paused for `PAUSED_LOCATION_DELAY_MS`: its
 * jobs wait in the delayed set instead of asking again and again. The pause lives in Redis, so
 * that every replica keeps it and an operator's lift reaches them all.
 *
 * A pause is taken on the connection row as the refused job read it (its `xmin`, which every
 * write to the row changes, whoever makes it and whatever the clocks say). A write since then
 * (a re-authorisation, GHL reactivating the location, an operator's edit) ends the pause: the
 * next job asks the auth service again. That costs a primary-key read and a Redis read per job,
 * paused or not; the pause is there to spare the auth service, not Postgres. A row that is not
 * active pauses its jobs without any asking at all.
 *
 * The jobs put off are recorded per location, and promoted when the location may run again: by
 * the first job that finds its row active and written since this process last saw it, by an
 * operator's lift (a full sync, a replay), and by `recheck` when Postgres announces that the
 * row changed (`ConnectionChangeListener`): a stored Private Integration Token or GHL
 * reactivating the location adds no job. Every location with a pause or a put-off record is
 * also listed in Redis until they expire, so that a listener that missed notices while it was
 * disconnected re-checks them all.
 *
 * TODO: a job that read the row just before a re-authorisation, and is refused by the auth
 * service (still answering from the old state), writes its pause after that write's notice was
 * re-checked: the notice finds nothing to lift, and the job waits for the location's next job
 * or its delay. The window is one token request wide; closing it needs the row read again after
 * the pause is written (and the put-off job recorded), which every refusal would pay for.
 */
@Injectable()
export class LocationGate implements OnApplicationShutdown {
  private readonly logger = new Logger(LocationGate.name);
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly pauseMs: number;
  private readonly queues: ReadonlyMap<string, Queue>;
  /** Per location, the row version this process last let a job run on. */
  private readonly activeVersions = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SYNC_WORKER_CONFIG) config: SyncWorkerConfig,
    @InjectQueue(QueueName.ContactSync) contactSync: Queue,
    @InjectQueue(QueueName.LocationSync) locationSync: Queue,
  ) {
    this.redis = new Redis(redisOptionsFromUrl(config.REDIS_URL));
    this.redis.on('error', () => undefined);
    this.keyPrefix = `${config.QUEUE_PREFIX}:sync-worker`;
    this.pauseMs = config.PAUSED_LOCATION_DELAY_MS;
    this.queues = new Map([contactSync, locationSync].map((queue) => [queue.name, queue]));
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  async standing(locationId: string): Promise<LocationStanding> {
    const [read, pause] = await Promise.all([
      this.readConnection(locationId),
      this.readPause(locationId),
    ]);
    if (!read) return this.gone(locationId);
    const { connection, version } = read;
    if (connection.status === ConnectionStatus.Uninstalled) return this.gone(locationId);
    const isPauseOn = pause !== null && pause.version === version;
    if (isPauseOn) return { kind: 'paused', until: pause.until, reason: pause.reason };
    if (connection.status !== ConnectionStatus.Active) {
      return { kind: 'paused', until: Date.now() + this.pauseMs, reason: connection.status };
    }

    const hasChanged = this.activeVersions.get(locationId) !== version;
    if (pause || hasChanged) await this.resumeAfterChange(locationId, pause);
    this.activeVersions.set(locationId, version);

    return { kind: 'active', connection, version };
  }

  /**
   * Records that the auth service refused a token to a job that read the row at `version`;
   * returns the standing jobs should take.
   */
  async pause(error: LocationUnavailableError, version: string): Promise<LocationStanding> {
    if (error.reason === 'not_connected') return { kind: 'gone' };

    const pause: Pause = { until: Date.now() + this.pauseMs, reason: error.reason, version };
    await this.redis
      .multi()
      .set(this.pauseKey(error.locationId), JSON.stringify(pause), 'PX', this.pauseMs)
      .zadd(this.heldKey(), 'GT', pause.until, error.locationId)
      .pexpire(this.heldKey(), 2 * this.pauseMs)
      .exec();
    this.logger.warn(
      { locationId: error.locationId, reason: error.reason },
      'location paused: its jobs wait',
    );

    return { kind: 'paused', until: pause.until, reason: pause.reason };
  }

  /**
   * Remembers a job put off for the location, so that it runs as soon as the location may. The
   * record outlives any delay it holds; a job gone meanwhile is skipped when it is promoted.
   * Never rejects: a job not recorded is in the delayed set already, and runs when its delay
   * ends.
   */
  async recordPutOff(locationId: string, job: Job): Promise<void> {
    const key = this.putOffKey(locationId);
    const expiresAt = Date.now() + 2 * this.pauseMs;
    try {
      await this.redis
        .multi()
        .sadd(key, `${job.queueName}:${job.id}`)
        .pexpireat(key, expiresAt)
        .zadd(this.heldKey(), 'GT', expiresAt, locationId)
        .zremrangebyscore(this.heldKey(), '-inf', Date.now())
        .pexpire(this.heldKey(), 2 * this.pauseMs)
        .exec();
    } catch (error) {
      this.logger.warn(
        { locationId, jobId: job.id, error: describeError(error) },
        'put-off job not recorded',
      );
    }
  }

  /**
   * An operator's lift (a full sync, a replay): the pause ends on every replica and the jobs put
   * off run now. A location whose row is still not active is paused again by its next job,
   * without asking the auth service.
   */
  async resume(locationId: string): Promise<void> {
    const lifted = await this.redis.del(this.pauseKey(locationId));
    const promoted = await this.promotePutOff(locationId);
    if (lifted > 0 || promoted > 0) {
      this.logger.log({ locationId, promoted }, 'location resumed by an operator');
    }
  }

  /**
   * Told that the location's connection row (or its tokens) changed: when the row is active now
   * and no pause was taken on it as it is, the pause ends on every replica and the jobs put off
   * run now, as the location's next job would have done. A row still not active, or gone, lifts
   * nothing. A location that holds neither a pause nor a put-off record costs one Redis read.
   */
  async recheck(locationId: string): Promise<void> {
    const held = await this.redis.exists(this.pauseKey(locationId), this.putOffKey(locationId));
    if (held === 0) return;

    const [read, pause] = await Promise.all([
      this.readConnection(locationId),
      this.readPause(locationId),
    ]);
    const isActive = read?.connection.status === ConnectionStatus.Active;
    const isPauseOn = pause !== null && pause.version === read?.version;
    if (isActive && !isPauseOn) await this.resumeAfterChange(locationId, pause);
  }

  /**
   * Re-checks every location with a pause or put-off jobs recorded, after notices may have been
   * missed; returns how many there were. Rejects, once every one was tried, when any failed.
   */
  async recheckAll(): Promise<number> {
    const key = this.heldKey();
    await this.redis.zremrangebyscore(key, '-inf', Date.now());
    const locationIds = await this.redis.zrange(key, 0, -1);
    let firstFailure: unknown;
    for (let start = 0; start < locationIds.length; start += RECHECK_BATCH) {
      const batch = locationIds.slice(start, start + RECHECK_BATCH);
      const outcomes = await Promise.allSettled(batch.map((id) => this.recheck(id)));
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => {
        return outcome.status === 'rejected';
      });
      firstFailure ??= failed?.reason;
    }
    if (firstFailure !== undefined) throw firstFailure;

    return locationIds.length;
  }

  private gone(locationId: string): LocationStanding {
    this.activeVersions.delete(locationId);

    return { kind: 'gone' };
  }

  private async resumeAfterChange(locationId: string, pause: HeldPause | null): Promise<void> {
    if (pause) {
      await this.redis.eval(DELETE_IF_UNCHANGED, 1, this.pauseKey(locationId), pause.stored);
    }
    const promoted = await this.promotePutOff(locationId);
    if (pause || promoted > 0) {
      this.logger.log({ locationId, promoted }, 'location resumed: its connection changed');
    }
  }

  /**
   * Promotes every recorded put-off job of the location that still waits in the delayed set.
   * Members are taken off the record as they are read, so two replicas never promote one job
   * twice; should a promotion fail, the jobs taken with it run when their delay ends.
   */
  private async promotePutOff(locationId: string): Promise<number> {
    let promoted = 0;
    for (;;) {
      const members = await this.redis.spop(this.putOffKey(locationId), PROMOTION_BATCH);
      if (members.length === 0) return promoted;

      const outcomes = await Promise.all(members.map((member) => this.promote(member)));
      promoted += outcomes.filter(Boolean).length;
    }
  }

  private async promote(member: string): Promise<boolean> {
    const separator = member.indexOf(':');
    const queue = this.queues.get(member.slice(0, separator));
    const job = await queue?.getJob(member.slice(separator + 1));
    if (!job || !(await job.isDelayed())) return false;

    try {
      await job.promote();

      return true;
    } catch (error) {
      // It left the delayed set meanwhile (its delay ended, or it was removed), which is all
      // `promote` throws for.
      if (await job.isDelayed()) throw error;

      return false;
    }
  }

  private async readConnection(locationId: string) {
    const { entities, raw } = await this.dataSource
      .getRepository(Connection)
      .createQueryBuilder('connection')
      .addSelect('connection.xmin::text', 'row_version')
      .where('connection.locationId = :locationId', { locationId })
      .getRawAndEntities<{ row_version: string }>();
    if (entities.length === 0) return null;

    return { connection: entities[0], version: raw[0].row_version };
  }

  private async readPause(locationId: string): Promise<HeldPause | null> {
    const stored = await this.redis.get(this.pauseKey(locationId));

    return stored === null ? null : { ...(JSON.parse(stored) as Pause), stored };
  }

  private pauseKey(locationId: string): string {
    return `${this.keyPrefix}:location-pause:${locationId}`;
  }

  private putOffKey(locationId: string): string {
    return `${this.keyPrefix}:put-off:${locationId}`;
  }

  /**
   * Locations with a pause or a put-off record, each scored with when it expires; the set itself
   * outlives its newest member by at most one pause window.
   */
  private heldKey(): string {
    return `${this.keyPrefix}:held-locations`;
  }
}
