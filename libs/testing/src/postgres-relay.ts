import { AddressInfo, Server, Socket, connect, createServer } from 'node:net';

import { TEST_POSTGRES_URL } from './test-database';

/** One client's connection through the relay, and the relay's own to Postgres. */
interface Link {
  client: Socket;
  server?: Socket;
  isMuted: boolean;
}

/**
 * A TCP relay on loopback in front of the test Postgres server, for cutting a service off it the
 * way a partition does. `silence()` makes every open connection, and every one opened while it
 * lasts, take what it is sent and answer nothing, without closing (a partition, or a failed-over
 * primary whose old sockets get no reset). `restore()` lets new connections through again; the
 * silenced ones stay silent, as they would after a failover.
 */
export class PostgresRelay {
  private readonly links = new Set<Link>();
  private readonly server: Server = createServer((client) => this.accept(client));
  private isSilent = false;
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;

    return this;
  }

  /** `databaseUrl` (a database on the test server) reached through the relay. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);

    return url.toString();
  }

  silence(): void {
    this.isSilent = true;
    for (const link of this.links) mute(link);
  }

  restore(): void {
    this.isSilent = false;
  }

  async stop(): Promise<void> {
    for (const { client, server } of this.links) {
      client.destroy();
      server?.destroy();
    }
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    const link: Link = { client, isMuted: false };
    this.links.add(link);
    client.on('error', () => undefined);
    client.once('close', () => {
      link.server?.destroy();
      this.links.delete(link);
    });
    if (this.isSilent) return mute(link);

    const target = new URL(TEST_POSTGRES_URL);
    const server = connect(Number(target.port || 5432), target.hostname);
    link.server = server;
    // Postgres closing its end reaches the client only while the link still passes bytes.
    server.on('error', () => undefined);
    server.once('close', () => {
      if (!link.isMuted) client.destroy();
    });
    client.pipe(server).pipe(client);
  }
}

/** Nothing more passes either way, and nothing closes: bytes are read and dropped. */
function mute(link: Link): void {
  link.isMuted = true;
  for (const socket of [link.client, link.server]) {
    if (!socket) continue;
    socket.unpipe();
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
  }
}
