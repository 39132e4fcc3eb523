// A small hostile HTTP server on 127.0.0.1 for the reliability suite: blobs served in ways a coordinator should not
// (a Content-Length far past the task's size, a body past it, the wrong bytes, a 1 byte per 100 ms drip), and a proxy
// in front of the real devnet coordinator that answers submits with a refusal or an outage, and spoils lease replies
// sent as frames (a wrong hash, lengths that lie, a body cut short: `spoilLeases`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FRAME_CONTENT_TYPE } from '../../main/common/frame.js';
import { relay } from '../helpers/relay.js';

export type BlobMode =
  | { kind: 'plain'; bytes: Uint8Array }
  /** Announces `declared` bytes in Content-Length (and would send them). */
  | { kind: 'announce'; declared: number }
  /** Chunked, no length: sends `chunk` bytes again and again until the client goes. */
  | { kind: 'flood'; chunk: number }
  /** One byte every `everyMs`, never done. */
  | { kind: 'drip'; everyMs: number };

export type SubmitMode = { kind: 'pass' } | { kind: 'refuse'; status: number; code: string; message: string } | { kind: 'outage' };

export class HostileServer {
  private server: Server | undefined;
  private base = '';
  private readonly blobs = new Map<string, BlobMode>();
  /** Requests per path (blob downloads and proxied calls). */
  readonly requests = new Map<string, number>();
  /** Body bytes written per blob path, as far as the socket took them. */
  readonly served = new Map<string, number>();
  submit: SubmitMode = { kind: 'pass' };
  /** Rewrites the upstream's reply to a path before it goes out (a lease answered with another task, say). */
  readonly rewrite = new Map<string, (reply: string) => string>();
  /** How the next lease replies sent as frames are spoiled, one each, in order (then they pass as they came). */
  readonly spoilLeases: ((frame: Buffer) => Buffer)[] = [];
  private readonly open = new Set<ServerResponse>();

  /** `upstream`: the real devnet coordinator, proxied for everything that is not a blob. */
  constructor(private readonly upstream?: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      this.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  get url(): string {
    return this.base;
  }

  blob(name: string, mode: BlobMode): string {
    this.blobs.set(`/blobs/${name}`, mode);
    return `${this.base}blobs/${name}`;
  }

  count(path: string): number {
    return this.requests.get(path) ?? 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.set(path, this.count(path) + 1);
    const blob = this.blobs.get(path);
    if (blob) return this.serveBlob(path, blob, res);
    if (!this.upstream) return void res.writeHead(404).end();
    // Single and batched submits alike: a coordinator that refuses results refuses them by either route.
    if ((path === '/v1/submit' || path === '/v1/submit-batch') && this.submit.kind !== 'pass') {
      req.resume();
      await new Promise((resolve) => req.once('end', resolve));
      if (this.submit.kind === 'outage')
        return void res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"code":"down","message":"Down for maintenance."}}');
      const { status, code, message } = this.submit;
      return void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
    }
    // A lease is passed on as a frame when asked for one, unless its JSON is to be rewritten: relayed without the
    // `accept` it comes back as JSON, which the client takes as well.
    if (path === '/v1/lease' && !this.rewrite.has(path) && (req.headers.accept ?? '').includes(FRAME_CONTENT_TYPE)) {
      return this.leaseFrame(req, res, this.upstream);
    }
    const { status, text } = await relay(req, this.upstream);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(this.rewrite.get(path)?.(text) ?? text);
  }

  /** A lease asked for as a frame, passed on with its `accept`, and its frame spoiled as armed. */
  private async leaseFrame(req: IncomingMessage, res: ServerResponse, upstream: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const reply = await fetch(new URL(req.url ?? '/', upstream), {
      method: 'POST',
      headers: {
        accept: req.headers.accept ?? '',
        authorization: req.headers.authorization ?? '',
        'content-type': req.headers['content-type'] ?? 'application/json',
      },
      body: Buffer.concat(chunks),
    });
    const type = reply.headers.get('content-type') ?? 'application/json';
    let body: Buffer = Buffer.from(await reply.arrayBuffer());
    const spoil = type === FRAME_CONTENT_TYPE ? this.spoilLeases.shift() : undefined;
    if (spoil) body = spoil(body);
    res.writeHead(reply.status, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  }

  private serveBlob(path: string, mode: BlobMode, res: ServerResponse): void {
    const count = (n: number): void => void this.served.set(path, (this.served.get(path) ?? 0) + n);
    switch (mode.kind) {
      case 'plain':
        res.writeHead(200, { 'content-length': mode.bytes.length });
        count(mode.bytes.length);
        return void res.end(mode.bytes);
      case 'announce':
        res.writeHead(200, { 'content-length': mode.declared });
        // The header goes out; nothing more until the client hangs up: a client that trusted it would wait to fill it.
        return res.flushHeaders();
      case 'flood': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(mode.chunk, 7);
        const pump = (): void => {
          let more = true;
          while (!res.destroyed && more) {
            more = res.write(chunk);
            count(chunk.length);
          }
          if (!res.destroyed) res.once('drain', pump);
        };
        return pump();
      }
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          res.write(Buffer.of(1));
          count(1);
        }, mode.everyMs);
        res.on('close', () => clearInterval(timer));
        return;
      }
    }
  }

  close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
