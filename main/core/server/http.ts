import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { HTTP_TOKEN_ROTATE_PATH } from '../../common/local-api.js';
import { HTTP_RPC_PATH, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../common/wire.js';
import { errorText, fail, ok, type ErrorCode, type Failure, type Result } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import type { Agent } from '../agent.js';
import type { Logger } from '../ports.js';
import { DOOR_LIMITS, guardConnections, SERVER_TIMEOUTS } from './connection-guard.js';
import { HOST, refusedAtDoor, sameToken } from './door.js';
import { readCappedBody } from './body.js';

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

/** Ready to open: the token rides in the fragment, which browsers never send to a server or a Referer. */
export const linkFor = (port: number, token: string): string => `http://${HOST}:${port}/#token=${token}`;

const MAX_BODY = 64 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** HTTP status per error code; codes not listed (the wallet's) are refusals of a valid request: 409. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNKNOWN_COMMAND: 404,
  VALIDATION: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  STORAGE: 500,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const csp = (port: number): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

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
  let token = options.token ?? randomBytes(32).toString('hex');
  const root = normalize(options.rendererDir + sep);
  let port = 0;

  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': csp(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  const sendResult = (res: ServerResponse, result: Result<unknown>): void =>
    send(res, result.ok ? 200 : (STATUS[result.error.code] ?? 409), JSON.stringify(result), 'application/json');
  // A refused request's body is not read: closing the connection keeps a slow body from holding it open.
  const refuse = (res: ServerResponse, error: Failure): void => {
    res.setHeader('Connection', 'close');
    sendResult(res, { ok: false, error });
  };

  const readBody = (req: IncomingMessage): Promise<string | undefined> => readCappedBody(req, MAX_BODY);

  /** Why a POST with a bearer token may not go on, or null; a request that may is trusted by the guard. */
  const refusedPost = (req: IncomingMessage): Failure | null => {
    if (req.method !== 'POST') return fail('BAD_REQUEST', 'Use POST.').error;
    const bearer = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
    if (!sameToken(bearer, token)) return fail('UNAUTHORIZED', 'Missing or wrong token: open the link the agent printed at start.').error;
    guard.trust(req.socket);
    return null;
  };

  const handleRpc = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusedPost(req);
    if (refused) return refuse(res, refused);
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return refuse(res, fail('BAD_REQUEST', 'Send JSON (Content-Type: application/json).').error);
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.setHeader('Connection', 'close');
      return sendResult(res, fail('BAD_REQUEST', `The request is larger than ${MAX_BODY} bytes.`));
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return sendResult(res, fail('BAD_REQUEST', 'The request body is not valid JSON.'));
    }
    sendResult(res, await agent.call(json));
  };

  // One rotation at a time, each checking the token in use when its turn comes: two at once would leave the server
  // on one new token and the file on the other. Open event streams were let in with the old token: they end, and a
  // page with the new link opens new ones.
  const rotations = new SerialQueue();
  const handleRotate = (req: IncomingMessage, res: ServerResponse, rotate: () => Promise<string>): Promise<void> =>
    rotations.run(() => rotateInTurn(req, res, rotate));
  const rotateInTurn = async (req: IncomingMessage, res: ServerResponse, rotate: () => Promise<string>): Promise<void> => {
    const refused = refusedPost(req);
    if (refused) return refuse(res, refused);
    let next: string;
    try {
      next = await rotate();
    } catch (error) {
      logger.error(`rotating the token: ${errorText(error)}`);
      return sendResult(
        res,
        fail('STORAGE', 'The new token could not be saved in the data folder, so the old one still works. Check the disk and try again.'),
      );
    }
    token = next;
    for (const client of (await sockets?.catch(() => undefined))?.clients ?? []) client.close(1008, 'The token changed');
    sendResult(res, ok({ url: linkFor(port, token) }));
  };

  const handleStatic = async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain');
    let file: string;
    try {
      file = normalize(join(root, pathname === '/' ? 'index.html' : decodeURIComponent(pathname)));
    } catch {
      return send(res, 404, 'Not found', 'text/plain'); // malformed percent-encoding
    }
    if (!file.startsWith(root)) return send(res, 404, 'Not found', 'text/plain');
    try {
      const body = await readFile(file);
      send(res, 200, req.method === 'HEAD' ? '' : body, MIME[extname(file)] ?? 'application/octet-stream');
    } catch {
      send(res, 404, 'Not found', 'text/plain');
    }
  };

  const server = createServer(SERVER_TIMEOUTS, (req, res) => {
    const refused = refusedAtDoor(req, port);
    if (refused) return refuse(res, refused);
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const work =
      pathname === HTTP_RPC_PATH
        ? handleRpc(req, res)
        : pathname === HTTP_TOKEN_ROTATE_PATH && options.rotateToken
          ? handleRotate(req, res, options.rotateToken)
          : handleStatic(req, res, pathname);
    work.catch((error: unknown) => {
      logger.error(`HTTP ${pathname}: ${errorText(error)}`);
      if (!res.headersSent) sendResult(res, fail('INTERNAL', 'The agent could not answer this request.'));
      else res.destroy();
    });
  });

  const guard = guardConnections(server, logger);
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

  // ws is loaded when the first browser tab connects: an agent nobody looks at does without its MBs.
  let sockets: Promise<WebSocketServer> | undefined;
  const openSockets = async (): Promise<WebSocketServer> => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({
      noServer: true,
      // The socket only pushes events; clients send nothing but control frames, so anything bigger is refused.
      maxPayload: 1024,
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
    wss.on('error', (error) => logger.error(`WebSocket server: ${error.message}`));
    return wss;
  };
  const reject = (socket: Duplex, status: number): void => {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const accept = (ws: WebSocket): void => {
    // ws closes the connection itself (1002/1007/1009) after emitting the error; only the notice is left to us.
    ws.on('error', (error: Error & { code?: string }) =>
      guard.tally.note(`WebSocket clients closed for breaking the protocol (${error.code ?? error.message})`),
    );
    ws.send(JSON.stringify({ type: 'state', state: agent.state() }));
    const unsubscribe = agent.subscribe((event) => ws.send(JSON.stringify(event)));
    ws.on('close', unsubscribe);
    // The socket only pushes; anything a client sends is a protocol error.
    ws.on('message', () => ws.close(1008, 'This socket only sends events'));
  };
  server.on('upgrade', (req, socket, head) => {
    // Until the handshake completes this is a raw socket: a reset or garbage must not surface as an unhandled error.
    socket.on('error', () => socket.destroy());
    const refused = refusedAtDoor(req, port);
    if (refused) return reject(socket, STATUS[refused.code] ?? 400);
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) return reject(socket, 404);
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const given = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX))?.slice(WS_TOKEN_PREFIX.length);
    if (!sameToken(given, token)) return reject(socket, 401);
    guard.trust(socket);
    (sockets ??= openSockets()).then(
      (wss) => {
        // Each stream holds a connection and a subscription: a tab needs one, a flood of them is refused.
        if (wss.clients.size >= DOOR_LIMITS.eventSockets) return reject(socket, 503);
        wss.handleUpgrade(req, socket, head, accept);
      },
      (error: Error) => {
        logger.error(`WebSocket server: ${error.message}`);
        reject(socket, 500);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    get token() {
      return token;
    },
    get url() {
      return linkFor(port, token);
    },
    close: async () => {
      const wss = await sockets?.catch(() => undefined);
      for (const client of wss?.clients ?? []) client.terminate();
      wss?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      guard.close();
    },
  };
}
