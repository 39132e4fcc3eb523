import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from '../common/result.js';
import { Frame, FRAME_CONTENT_TYPE } from '../common/frame.js';
import type { ErrorReply } from '../common/protocol.js';
import type { Logger } from '../core/ports.js';
import { HttpError } from './http-util.js';
import type { Handlers } from './route-context.js';
import type { DevnetModel } from './tasks.js';
import type { WorkPool } from './work-pool.js';

export interface RouterOptions {
  handlers: Handlers;
  /** The models tasks name, by SHA-256, served as bytes. */
  models: ReadonlyMap<string, DevnetModel>;
  pool: WorkPool;
  logger: Logger | undefined;
  port: number;
}

/** Serves a model's bytes; the lease that named it is told once they are all sent. */
function sendModel(o: RouterOptions, url: URL, path: string, res: ServerResponse): void {
  const model = o.models.get(path.slice('v1/models/'.length));
  if (!model) throw new HttpError(404, 'not-found', 'No such model.');
  const lease = o.pool.leases.get(url.searchParams.get('lease') ?? '');
  if (lease) res.once('finish', () => lease.models.add(model.sha256));
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.bytes.length });
  res.end(model.bytes);
}

/** A request to the route of `METHOD path`, or of its first part (the rest given to it), answered as JSON (or a frame). */
async function route(o: RouterOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname.replace(/^\/+/, '');
  if (req.method === 'GET' && path.startsWith('v1/models/')) return sendModel(o, url, path, res);
  const [head, ...restParts] = path.split('/').slice(1);
  const exact = o.handlers[`${req.method} ${path}`];
  const handler = exact ?? o.handlers[`${req.method} v1/${head ?? ''}`];
  if (!handler) throw new HttpError(404, 'not-found', `No route ${req.method} /${path}.`);
  const body = await handler(req, exact ? '' : restParts.join('/'), url);
  if (res.destroyed || body === undefined) return;
  if (body instanceof Frame) {
    o.pool.replied(req, body.size);
    res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE, 'content-length': body.size });
    for (const part of body.parts) res.write(part);
    return void res.end();
  }
  const text = JSON.stringify(body);
  o.pool.replied(req, Buffer.byteLength(text));
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The coordinator's HTTP server on 127.0.0.1: refusals as the protocol's error replies, anything else logged as internal. */
export async function serveRoutes(o: RouterOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    route(o, req, res).catch((error: unknown) => {
      const e = error instanceof HttpError ? error : new HttpError(500, 'internal', errorText(error));
      if (!(error instanceof HttpError)) o.logger?.error(`devnet: ${(error instanceof Error ? error.stack : undefined) ?? String(error)}`);
      if (res.headersSent || res.destroyed) return;
      const reply: ErrorReply = { error: { code: e.code, message: e.message } };
      res.writeHead(e.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a server listening on a TCP port has an AddressInfo
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
