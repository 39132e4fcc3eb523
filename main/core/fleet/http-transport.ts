import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLEET_HTTP_PATH, FLEET_MAX_FRAME_BYTES, FrameSchema, HelloSchema, type FleetWireCode } from '../../common/fleet.js';
import { errorText } from '../../common/result.js';
import type { Logger } from '../ports.js';
import { guardConnections, SERVER_TIMEOUTS } from '../server/connection-guard.js';
import { readCappedBody } from '../server/body.js';
import { IDLE_CLIENT_MS, post } from './http-post.js';
import type { FleetInbound, FleetListener, FleetTransport } from './transport.js';

/**
 * The direct path: frames as JSON POSTs to `http://host:port/fleet/v1` on the local network. It is a separate server
 * from the loopback API (which never listens on the LAN): it serves nothing but sealed frames and the hello.
 */
const HELLO_PATH = `${FLEET_HTTP_PATH}/hello`;
/** A frame's JSON: the box is base64 of at most FLEET_MAX_FRAME_BYTES, plus names and a nonce. */
export const MAX_BODY = Math.ceil((FLEET_MAX_FRAME_BYTES * 4) / 3) + 1024;
/**
 * An idle connection from a paired machine is kept this long: longer than the asking side keeps it (IDLE_CLIENT_MS),
 * so the asker closes first, and past the Fleet page's 5 s poll, so one connection serves poll after poll.
 */
const KEPT_ALIVE_MS = IDLE_CLIENT_MS + 10_000;

const STATUS: Record<FleetWireCode, number> = {
  BAD_FRAME: 400,
  TOO_LARGE: 413,
  UNKNOWN_PEER: 401,
  REVOKED: 403,
  REPLAYED: 409,
  BAD_CODE: 403,
  NO_CODE: 410,
  FORBIDDEN: 403,
  UNREACHABLE: 502,
  BAD_REPLY: 502,
};

const readBody = (req: IncomingMessage): Promise<string | undefined> => readCappedBody(req, MAX_BODY);

/** The peer-facing server on every interface, port 0 for any free one. */
export async function listenHttp(inbound: FleetInbound, port: number, logger: Logger): Promise<FleetListener> {
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, code: FleetWireCode, message: string): void => {
    res.setHeader('Connection', 'close');
    send(res, STATUS[code], { code, message });
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'POST' || (path !== FLEET_HTTP_PATH && path !== HELLO_PATH)) {
      return refuse(res, 'BAD_FRAME', 'This address only takes fleet messages.');
    }
    if (path === HELLO_PATH) return send(res, 200, inbound.hello());
    const body = await readBody(req);
    if (body === undefined) return refuse(res, 'TOO_LARGE', `A fleet message is at most ${MAX_BODY} bytes.`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return refuse(res, 'BAD_FRAME', 'The message is not JSON.');
    }
    const host = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const answer = await inbound.frame(json, host);
    if (!answer.ok) return refuse(res, answer.error.code, answer.error.message);
    guard.trust(req.socket);
    send(res, 200, answer.value);
  };
  const server = createServer({ ...SERVER_TIMEOUTS, keepAliveTimeout: KEPT_ALIVE_MS }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error(`fleet: ${errorText(error)}`);
      if (!res.headersSent) refuse(res, 'BAD_FRAME', 'The message could not be handled.');
      else res.destroy();
    });
  });
  const guard = guardConnections(server, logger);
  // A broken request ends its connection only: without this listener it would be an unhandled error.
  server.on('clientError', (_error, socket) => {
    guard.tally.note('fleet: broken requests closed');
    socket.destroy();
  });
  server.on('error', (error) => logger.error(`fleet listener: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a server listening on a TCP port has an AddressInfo
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      guard.close();
    },
  };
}

export const httpTransport: FleetTransport = {
  hello: (address) => post(address, HELLO_PATH, {}, HelloSchema, MAX_BODY),
  send: (address, frame) => post(address, FLEET_HTTP_PATH, frame, FrameSchema, MAX_BODY),
};
