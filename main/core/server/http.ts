import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HTTP_TOKEN_ROTATE_PATH } from '../../common/local-api.js';
import { HTTP_RPC_PATH } from '../../common/wire.js';
import { errorText, fail } from '../../common/result.js';
import type { Agent } from '../agent.js';
import type { Logger } from '../ports.js';
import { apiRoutes } from './api-routes.js';
import { guardConnections, SERVER_TIMEOUTS } from './connection-guard.js';
import { HOST, linkFor, refusedAtDoor, type DoorKeys } from './door.js';
import { EventSockets } from './event-sockets.js';
import { replies } from './replies.js';
import { staticFiles } from './static-files.js';

export { linkFor } from './door.js';

export interface ServerOptions {
  agent: Agent;
  logger: Logger;
  /** Folder of the built renderer (index.html + assets). */
  rendererDir: string;
  /** 0 picks a free port. */
  port: number;
  /** The kept one (local-address.ts), or fixed in tests; a fresh random one otherwise. */
  token?: string;
  /**
   * Makes and keeps a new token, for the rotate route; without it the route is not served. Until it resolves the old
   * token still opens the door, so a token that could not be saved is never the only one that works.
   */
  rotateToken?: () => Promise<string>;
}

export interface RunningServer {
  readonly port: number;
  /** The current token and link: a rotation changes both. */
  readonly token: string;
  readonly url: string;
  close(): Promise<void>;
}

/** What a broken request is answered, by Node's reason for giving up on it. */
const BROKEN: Record<string, { status: string; what: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: '408 Request Timeout', what: 'requests too slow to arrive, closed' },
  HPE_HEADER_OVERFLOW: { status: '431 Request Header Fields Too Large', what: 'requests with too many headers, closed' },
};

/**
 * Serves the renderer and the agent API on loopback only, behind a per-run token and Host/Origin checks, with caps
 * and timeouts on connections (connection-guard.ts).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { agent, logger } = options;
  const keys: DoorKeys = { token: options.token ?? randomBytes(32).toString('hex'), port: 0 };
  const reply = replies(() => keys.port);
  const serveStatic = staticFiles(options.rendererDir, reply.send);

  const server = createServer(SERVER_TIMEOUTS, (req, res) => {
    const refused = refusedAtDoor(req, keys.port);
    if (refused) return reply.refuse(res, refused);
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const work =
      pathname === HTTP_RPC_PATH
        ? api.rpc(req, res)
        : pathname === HTTP_TOKEN_ROTATE_PATH && api.rotate
          ? api.rotate(req, res)
          : serveStatic(req, res, pathname);
    work.catch((error: unknown) => {
      logger.error(`HTTP ${pathname}: ${errorText(error)}`);
      if (!res.headersSent) reply.result(res, fail('INTERNAL', 'The agent could not answer this request.'));
      else res.destroy();
    });
  });

  const guard = guardConnections(server, logger);
  const sockets = new EventSockets({ agent, logger, keys, guard });
  const tokenChanged = (): Promise<void> => sockets.endAll('The token changed');
  const api = apiRoutes({ agent, logger, keys, replies: reply, guard, rotateToken: options.rotateToken, tokenChanged });
  // A bad request or frame ends that connection only: without these listeners an 'error' event is unhandled and
  // takes the whole agent down (ws emits one for every protocol violation: bad opcode, RSV1, invalid UTF-8…).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const code = error.code ?? error.message;
    const broken = BROKEN[code] ?? { status: '400 Bad Request', what: `bad requests (${code}), closed` };
    guard.tally.note(broken.what);
    if (socket.writable) socket.end(`HTTP/1.1 ${broken.status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  server.on('error', (error) => logger.error(`HTTP server: ${error.message}`));
  server.on('upgrade', (req, socket, head) => sockets.upgrade(req, socket, head));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a server listening on a TCP port has an AddressInfo
  keys.port = (server.address() as AddressInfo).port;
  const { port } = keys;

  return {
    port,
    get token() {
      return keys.token;
    },
    get url() {
      return linkFor(port, keys.token);
    },
    close: async () => {
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      guard.close();
    },
  };
}
