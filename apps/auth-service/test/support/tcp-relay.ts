import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP relay in front of the sandbox. `holding` keeps every new connection's bytes
 * from reaching it: a request "still on the wire", which lets a test stop a process after it
 * sent a refresh and before GHL saw it.
 */
export class TcpRelay {
  holding = false;
  /** Bytes held back (never delivered) so far. */
  heldBytes = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));

    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    if (this.holding) {
      client.on('data', (chunk) => (this.heldBytes += chunk.length));

      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(upstream);
    };
    client.once('close', closeBoth);
    upstream.once('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  }
}
