import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface Relay {
  /** The port the relay listens on. */
  readonly port: number;
  /** Stops listening and cuts every open connection, as a network outage would. */
  cut(): void;
}

/** A TCP relay on `listenHost` to `target` (`http://host:port`), which a test can cut. */
export async function startRelay(target: string, listenHost = '127.0.0.1'): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    const drop = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', drop);
    upstream.on('error', drop);
    socket.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

export interface HoldingRelay {
  readonly port: number;
  /** From now on, bytes from callers are kept back instead of forwarded, as a frozen peer would leave them. */
  hold(): void;
  /**
   * Forwards every byte kept back, even of connections whose caller has given up and closed: the peer
   * then acts on requests after their callers were answered, as a thawed DynamoDB does.
   */
  release(): void;
  close(): void;
}

/**
 * A TCP relay to `target` that can hold traffic and later deliver it: a write sent during the hold
 * reaches the target only after the caller's deadline, which is how a late write happens.
 */
export async function startHoldingRelay(target: string): Promise<HoldingRelay> {
  const { hostname, port } = new URL(target);
  let held = false;
  const connections = new Set<{ upstream: Socket; socket: Socket; kept: Buffer[] }>();
  const server = createServer((socket) => {
    const upstream = connect(Number(port), hostname);
    const connection = { upstream, socket, kept: [] as Buffer[] };
    connections.add(connection);
    socket.on('data', (chunk: Buffer) => {
      if (held) connection.kept.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!socket.destroyed) socket.write(chunk);
    });
    // A caller that gave up does not cancel what it sent: the upstream side stays open to deliver it.
    socket.on('error', () => socket.destroy());
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold() {
      held = true;
    },
    release() {
      held = false;
      for (const connection of connections) {
        for (const chunk of connection.kept.splice(0)) connection.upstream.write(chunk);
      }
    },
    close() {
      server.close();
      for (const { socket, upstream } of connections) {
        socket.destroy();
        upstream.destroy();
      }
    },
  };
}
