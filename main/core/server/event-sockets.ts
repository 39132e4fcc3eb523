import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../common/wire.js';
import type { Agent } from '../agent.js';
import { pacedEvents } from '../paced-events.js';
import type { Logger } from '../ports.js';
import { DOOR_LIMITS, type ConnectionGuard } from './connection-guard.js';
import { refusedAtDoor, sameToken, type DoorKeys } from './door.js';
import { STATUS } from './replies.js';

export interface EventSocketsOptions {
  agent: Agent;
  logger: Logger;
  keys: DoorKeys;
  guard: ConnectionGuard;
}

const reject = (socket: Duplex, status: number): void => {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

/** The page's event streams: WebSocket upgrades behind the door and the token, each pushing the agent's events. */
export class EventSockets {
  // ws is loaded when the first browser tab connects: an agent nobody looks at does without its MBs.
  private sockets: Promise<WebSocketServer> | undefined;

  constructor(private readonly o: EventSocketsOptions) {}

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { keys, logger } = this.o;
    // Until the handshake completes this is a raw socket: a reset or garbage must not surface as an unhandled error.
    socket.on('error', () => socket.destroy());
    const refused = refusedAtDoor(req, keys.port);
    if (refused) return reject(socket, STATUS[refused.code] ?? 400);
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) return reject(socket, 404);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const given = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
    if (!sameToken(given, keys.token)) return reject(socket, 401);
    this.o.guard.trust(socket);
    (this.sockets ??= this.open()).then(
      (wss) => {
        // Each stream holds a connection and a subscription: a tab needs one, a flood of them is refused.
        if (wss.clients.size >= DOOR_LIMITS.eventSockets) return reject(socket, 503);
        wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
      },
      (error: Error) => {
        logger.error(`WebSocket server: ${error.message}`);
        reject(socket, 500);
      },
    );
  }

  /** Ends every open stream, politely: the page is told why. */
  async endAll(reason: string): Promise<void> {
    for (const client of (await this.opened())?.clients ?? []) client.close(1008, reason);
  }

  async close(): Promise<void> {
    const wss = await this.opened();
    for (const client of wss?.clients ?? []) client.terminate();
    wss?.close();
  }

  private opened(): Promise<WebSocketServer | undefined> {
    return this.sockets?.catch(() => undefined) ?? Promise.resolve(undefined);
  }

  private async open(): Promise<WebSocketServer> {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({
      noServer: true,
      // The socket only pushes events; clients send nothing but control frames, so anything bigger is refused.
      maxPayload: 1024,
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
    wss.on('error', (error) => this.o.logger.error(`WebSocket server: ${error.message}`));
    return wss;
  }

  private accept(ws: WebSocket): void {
    const { agent, guard } = this.o;
    // ws closes the connection itself (1002/1007/1009) after emitting the error; only the notice is left to us.
    ws.on('error', (error: Error & { code?: string }) =>
      guard.tally.note(`WebSocket clients closed for breaking the protocol (${error.code ?? error.message})`),
    );
    ws.send(JSON.stringify({ type: 'state', state: agent.state() }));
    const paced = pacedEvents((event) => ws.send(JSON.stringify(event)));
    const unsubscribe = agent.subscribe(paced.send);
    ws.on('close', () => {
      unsubscribe();
      paced.stop();
    });
    // The socket only pushes; anything a client sends is a protocol error.
    ws.on('message', () => ws.close(1008, 'This socket only sends events'));
  }
}
