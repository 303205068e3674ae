import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface SlowRelay {
  /** The relay's endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  close(): void;
}

/**
 * A TCP relay to `target` (`http://host:port`) that delivers every byte a caller sends `delayMs` late, in
 * order: a DynamoDB whose writes land that long after they were sent, which is how a write decided at one
 * instant becomes visible at a later one.
 */
export async function startSlowRelay(target: string, delayMs: number): Promise<SlowRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(socket).add(upstream);
    socket.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, delayMs);
    });
    upstream.pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    for (const end of [socket, upstream]) {
      end.on('error', drop);
      end.on('close', drop);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
