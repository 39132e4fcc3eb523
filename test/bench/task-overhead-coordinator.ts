// The devnet coordinator for task-overhead.bench.ts, in a process of its own so none of its CPU is the agent's, every
// result paid unverified. In front of it, a proxy hands out each lease as a 1024×1024 MatMul with a 4 MB input (the
// devnet's own tasks are tiny), under the devnet's lease id and task id, so the result goes to the devnet as ever:
// at /frames/ as a coordinator that offers leases as frames (the input as raw bytes), at /json/ as one from before
// (no leaseFrames in its info: the input as base64 in JSON), at /ref/ as one that sends the input by URL (served here,
// fetched by the job host). Sends its three URLs when ready.
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeFrame, Frame, FRAME_CONTENT_TYPE } from '../../main/common/frame.js';
import { LeaseReplySchema, type LeaseReply } from '../../main/common/protocol.js';
import { matMulModel, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';

const coordinator = await startCoordinator({ verifyRate: 0 });
const upstream = new URL(coordinator.url);
const model = matMulModel({ rows: 1024, inner: 1024, cols: 1024 }).bytes;
const modelSha = createHash('sha256').update(model).digest('hex');
const x = seededFloats(1024 * 1024, 3);
const input = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const inputSha = createHash('sha256').update(input).digest('hex');
const inputBase64 = input.toString('base64');

type Mode = 'frames' | 'json' | 'ref';

/** The devnet's granted task, made the 4 MB MatMul: as raw bytes for a frame, as base64 for JSON, or by URL. */
function bigTask(reply: Extract<LeaseReply, { kind: 'task' }>, base: string, mode: Mode): unknown {
  const shape = [1024, 1024];
  const X = {
    frames: { kind: 'bytes', dtype: 'float32', shape, sha256: inputSha, data: input },
    json: { kind: 'inline', dtype: 'float32', shape, data: inputBase64 },
    ref: { kind: 'url', dtype: 'float32', shape, url: `${base}input`, sha256: inputSha, size: input.length },
  }[mode];
  const task = { ...reply.task, model: { url: `${base}model`, sha256: modelSha, size: model.length }, inputs: { X }, outputs: ['Y'] };
  return { ...reply, task };
}

function forward(req: IncomingMessage, path: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: upstream.host };
    const out = request({ host: upstream.hostname, port: upstream.port, path, method: req.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
    });
    out.on('error', reject);
    req.pipe(out);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
  const [, first = '', ...rest] = (req.url ?? '/').split('/');
  const mode: Mode = first === 'json' ? 'json' : first === 'ref' ? 'ref' : 'frames';
  const path = `/${rest.join('/')}`;
  const frames = mode !== 'json';
  if (path === '/model') return void res.writeHead(200, { 'content-length': model.length }).end(model);
  if (path === '/input') return void res.writeHead(200, { 'content-length': input.length }).end(input);
  const reply = await forward(req, path);
  let body: Buffer | Uint8Array[] = reply.body;
  let type = reply.type;
  if (path === '/v1/info' && !frames) {
    const info = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
    delete info['leaseFrames'];
    body = Buffer.from(JSON.stringify(info));
  } else if (path === '/v1/lease' && reply.status === 200) {
    const leased = LeaseReplySchema.parse(type === FRAME_CONTENT_TYPE ? decodeFrame(reply.body) : JSON.parse(reply.body.toString('utf8')));
    if (leased.kind === 'task') {
      const message = bigTask(leased, `${base}${mode}/`, mode);
      body = frames ? new Frame(message).parts : Buffer.from(JSON.stringify(message));
      type = frames ? FRAME_CONTENT_TYPE : 'application/json';
    }
  }
  const parts = Array.isArray(body) ? body : [body];
  res.writeHead(reply.status, { 'content-type': type, 'content-length': parts.reduce((n, p) => n + p.byteLength, 0) });
  for (const part of parts) res.write(part);
  res.end();
}

const server = createServer((req, res) => {
  handle(req, res, base).catch((error: unknown) => {
    process.stderr.write(`bench coordinator: ${String(error)}\n`);
    res.destroy();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  void coordinator.close().then(() => process.exit(0));
});
process.send?.({ frames: `${base}frames/`, json: `${base}json/`, ref: `${base}ref/` });
