import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';

import { runMigrations } from '@sm/entities';
import { TestDatabase } from './test-database';
import { freePort } from './free-port';
import { eventually } from './service-process';

/** A redis-server of the test's own on loopback: it may be flushed or stopped at will. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(extraArgs: string[] = []): Promise<this> {
    this.port ||= await freePort();
    this.child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ].concat(extraArgs),
      { stdio: 'ignore' },
    );
    await eventually(() => this.ping(), 10_000, `redis-server on ${this.port}`);

    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      // A frozen server takes SIGKILL all the same.
      child.kill('SIGKILL');
    });
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open and nothing answers, as behind a dead
   * network. `resume` thaws it.
   */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async run<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true });
    try {
      await redis.connect();

      return await command(redis);
    } finally {
      redis.disconnect();
    }
  }

  private async ping(): Promise<true | undefined> {
    try {
      return (await this.run((redis) => redis.ping())) === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * A Postgres cluster of the test's own (initdb + pg_ctl in a temp dir, on a free loopback port),
 * so that the test can restart it without touching the Postgres other tests share. As root, the
 * server runs as the `postgres` user (Postgres refuses to run as root).
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'sm-pg-'));
  port = 0;
  private readonly bin = postgresBin();

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<this> {
    this.port = await freePort();
    if (isRoot()) chownSync(this.dir, uidOf('postgres'), gidOf('postgres'));
    this.as(['initdb', '-D', this.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    await this.start();

    return this;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    this.as(['pg_ctl', '-D', this.dataDir, '-o', options, '-l', `${this.dir}/log`, '-w', 'start']);
  }

  /** An immediate stop: what a crash or a failover looks like to the clients. */
  stop(): void {
    this.as(['pg_ctl', '-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  async createDatabase(): Promise<TestDatabase> {
    const name = `sm_private_${process.pid}`;
    const admin = await new DataSource({ type: 'postgres', url: this.adminUrl }).initialize();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.destroy();
    const url = `postgres://postgres@127.0.0.1:${this.port}/${name}`;
    await runMigrations(url);

    return { url, drop: async () => undefined };
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private as(command: string[]): void {
    const [tool, ...args] = command;
    const file = path.join(this.bin, tool);
    if (!isRoot()) {
      execFileSync(file, args, { stdio: 'ignore' });

      return;
    }
    const quoted = [file, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', quoted], { stdio: 'ignore' });
  }
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));

  return path.join(root, versions[0], 'bin');
}

const isRoot = () => process.getuid?.() === 0;
const uidOf = (user: string) => Number(execFileSync('id', ['-u', user]).toString().trim());
const gidOf = (user: string) => Number(execFileSync('id', ['-g', user]).toString().trim());
