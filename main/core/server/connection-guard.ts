import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../ports.js';
import { LogTally } from './log-tally.js';

/**
 * The loopback door's limits. Any local process can connect without the token, so these keep a flood from taking the
 * agent's file descriptors (which its outbox, ledger and job hosts need) or its attention.
 */
export const DOOR_LIMITS = {
  /**
   * Connections open at once, with or without the token: far below any fd limit, so the agent keeps a reserve.
   * server.maxConnections closes the ones past it at accept, before they hold anything.
   */
  connections: 256,
  /**
   * Connections that have not shown the token yet. On loopback every process has the same address, so this is the
   * per-client cap: past it the oldest are closed, so a flood cannot hold the door shut against the page.
   */
  anonymous: 128,
  /** WebSocket event streams: one per open tab. */
  eventSockets: 32,
} as const;

/** Timeouts: the page is on this machine and sends its requests at once, so anything slow is not the page. */
export const SERVER_TIMEOUTS: ServerOptions = {
  headersTimeout: 5_000,
  /** The whole request, body included (at most 64 KB). */
  requestTimeout: 10_000,
  /** An idle kept-alive connection. */
  keepAliveTimeout: 5_000,
  /** How often the two above are checked (Node's default, 30 s, let slow clients hold a connection 90 s). */
  connectionsCheckingInterval: 1_000,
};

export interface ConnectionGuard {
  /** The connection carried the token: it no longer counts against the anonymous cap. */
  trust(socket: Duplex): void;
  /** Counted warnings about refused and broken connections (see LogTally). */
  readonly tally: LogTally;
  close(): void;
}

/** Applies the caps to a server (its timeouts come from SERVER_TIMEOUTS, given at creation). */
export function guardConnections(server: Server, logger: Logger): ConnectionGuard {
  const tally = new LogTally(logger, 'HTTP');
  // A Set keeps insertion order: the first one is the oldest.
  const anonymous = new Set<Duplex>();
  server.maxConnections = DOOR_LIMITS.connections;
  server.on('drop', () => tally.note(`connections refused: more than ${DOOR_LIMITS.connections} open`));
  let sweeping = false;
  const sweep = (): void => {
    sweeping = false;
    for (const oldest of anonymous) {
      if (anonymous.size <= DOOR_LIMITS.anonymous) break;
      anonymous.delete(oldest);
      oldest.destroy();
      tally.note(`connections closed: more than ${DOOR_LIMITS.anonymous} open without the token`);
    }
  };
  server.on('connection', (socket: Socket) => {
    anonymous.add(socket);
    socket.once('close', () => anonymous.delete(socket));
    if (anonymous.size <= DOOR_LIMITS.anonymous || sweeping) return;
    sweeping = true;
    // Not at once: a connection accepted in this burst has its request read in the next poll phase, so the sweep
    // waits for that phase (two check phases on). The page's connection shows its token before it could be swept;
    // meanwhile maxConnections still bounds the burst.
    setImmediate(() => setImmediate(sweep));
  });
  return {
    trust: (socket) => anonymous.delete(socket),
    tally,
    close: () => tally.close(),
  };
}
