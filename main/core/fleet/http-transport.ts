import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  FLEET_HTTP_PATH,
  FLEET_MAX_FRAME_BYTES,
  FleetWireErrorSchema,
  FrameSchema,
  HelloSchema,
  type FleetWireCode,
} from '../../common/fleet.js';
import { errorText, fail, ok, type Result } from '../../common/result.js';
import type { Logger } from '../ports.js';
import { guardConnections, SERVER_TIMEOUTS } from '../server/connection-guard.js';
import { readCappedBody } from '../server/body.js';
import type { FleetInbound, FleetListener, FleetTransport } from './transport.js';

/**
 * The direct path: frames as JSON POSTs to `http://host:port/fleet/v1` on the local network. It is a separate server
 * from the loopback API (which never listens on the LAN): it serves nothing but sealed frames and the hello.
 */
const HELLO_PATH = `${FLEET_HTTP_PATH}/hello`;
/** A frame's JSON: the box is base64 of at most FLEET_MAX_FRAME_BYTES, plus names and a nonce. */
export const MAX_BODY = Math.ceil((FLEET_MAX_FRAME_BYTES * 4) / 3) + 1024;
/** A peer on the same network answers in milliseconds; a poll of a machine that went away must not hang the view. */
const SEND_TIMEOUT_MS = 4_000;

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
  const server = createServer(SERVER_TIMEOUTS, (req, res) => {
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
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      guard.close();
    },
  };
}

/** `host:port` as the URL's origin; an IPv6 host goes in brackets. */
const originOf = (address: string): string | undefined => {
  try {
    const url = new URL(`http://${address}`);
    return url.port !== '' && url.pathname === '/' && url.search === '' ? url.origin : undefined;
  } catch {
    return undefined;
  }
};

/** The answer's body, or undefined past the cap (the rest is not read). */
async function readCapped(response: Response): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream: the rest is never read.
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function post<T>(address: string, path: string, body: unknown, schema: z.ZodType<T>): Promise<Result<T, FleetWireCode>> {
  const origin = originOf(address);
  if (origin === undefined) return fail('UNREACHABLE', `"${address}" is not an address: write it as host:port, e.g. 192.168.1.20:7434.`);
  let status: number;
  let text: string | undefined;
  try {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    status = response.status;
    text = await readCapped(response);
  } catch {
    return fail(
      'UNREACHABLE',
      `The machine at ${address} did not answer. Check that it is on, on this network, with fleet pairing turned on.`,
    );
  }
  if (text === undefined) return fail('BAD_REPLY', `The machine at ${address} answered with too much data.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (status !== 200) {
    const error = FleetWireErrorSchema.safeParse(json);
    return error.success
      ? { ok: false, error: error.data }
      : fail('BAD_REPLY', `Something at ${address} answered, but not a Synor machine.`);
  }
  const value = schema.safeParse(json);
  return value.success ? ok(value.data) : fail('BAD_REPLY', `Something at ${address} answered, but not a Synor machine.`);
}

export const httpTransport: FleetTransport = {
  hello: (address) => post(address, HELLO_PATH, {}, HelloSchema),
  send: (address, frame) => post(address, FLEET_HTTP_PATH, frame, FrameSchema),
};
