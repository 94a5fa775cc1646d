import { ChildProcess, spawn } from 'node:child_process';

import { Redis } from 'ioredis';

import { eventually, freePort } from '@sm/testing';

/**
 * A redis-server of this test's own on loopback, so that the test can FLUSHALL it or stop it
 * without touching the Redis that other test files share.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
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
      child.kill('SIGKILL');
    });
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
