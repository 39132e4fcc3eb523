// A lease answered as a frame (docs/protocol.md, "Leases as frames"): the devnet's frame parses to a task whose inputs
// are raw bytes; the client turns every damaged frame into one coded NetworkError (cut short, lengths that lie,
// references outside the payload, a header that is not JSON or nests past the stack, a body over the limit, a frame
// that was not asked for); the runtime uses an input's bytes where they lie, once their size and hash check out.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import type { Frame } from '../../main/common/frame.js';
import { decodeFrame, FRAME_CONTENT_TYPE } from '../../main/common/frame.js';
import { LeaseReplySchema, type LeaseReply } from '../../main/common/protocol.js';
import type { Task } from '../../main/common/task.js';
import { NetworkError, requestJson } from '../../main/core/network/http.js';
import { createRuntime } from '../../main/core/runtime/runtime.js';
import { leaseFrame } from '../../main/devnet/lease-frame.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

const input = Buffer.alloc(4 * 1024 * 1024);
for (let i = 0; i < input.length; i += 4) input.writeFloatLE(i / 7, i);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const task: Task = {
  id: 'task-1',
  model: { url: 'http://127.0.0.1:1/v1/models/m', sha256: 'a'.repeat(64), size: 10 },
  inputs: { X: { kind: 'inline', dtype: 'float32', shape: [1024, 1024], data: input.toString('base64') } },
  outputs: ['Y'],
  deadline: 1_767_225_600_000,
  memoryEstimateBytes: 0,
  device: 'any',
  rewardEstimateWei: '1',
  priority: 5,
};
const leased: Extract<LeaseReply, { kind: 'task' }> = { kind: 'task', leaseId: 'lease-1', task, leaseTtlMs: 30_000, serverTime: 1 };
const bodyOf = (frame: Frame): Buffer => Buffer.concat(frame.parts);
const honest = bodyOf(leaseFrame(leased));

test('the devnet sends a task input as its raw bytes and their hash: 4 MB on the wire, not 5.3 MB of base64', { timeout: 60_000 }, () => {
  const reply = LeaseReplySchema.parse(decodeFrame(honest));
  assert.equal(reply.kind, 'task');
  const x = reply.kind === 'task' ? reply.task.inputs['X'] : undefined;
  assert.equal(x?.kind, 'bytes');
  if (x?.kind !== 'bytes') return;
  assert.deepEqual(Buffer.from(x.data), input);
  assert.equal(x.sha256, sha256(input));
  assert.ok(honest.byteLength < input.byteLength + 1024, `${honest.byteLength} bytes`);
  // The bytes are a view into the body, not a copy.
  assert.equal(x.data.buffer, honest.buffer);
});

/** Header and payload of the honest frame, to be put together again wrongly. */
const headLength = honest.readUInt32LE(0);
const header = honest.subarray(8, 8 + headLength).toString('utf8');
const framed = (head: string, payload: Uint8Array, lengths = { head: Buffer.byteLength(head), payload: payload.byteLength }): Buffer => {
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(lengths.head, 0);
  prefix.writeUInt32LE(lengths.payload, 4);
  return Buffer.concat([prefix, Buffer.from(head), payload]);
};
const payload = honest.subarray(8 + headLength);

let served: { body: Buffer; type?: string; status?: number } = { body: honest };
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(served.status ?? 200, { 'content-type': served.type ?? FRAME_CONTENT_TYPE, 'content-length': served.body.length });
  res.end(served.body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => server.close());
const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/lease`);
const lease = (o: { frames?: boolean; maxBytes?: number } = {}) =>
  requestJson(url, {
    method: 'POST',
    body: {},
    timeoutMs: 10_000,
    maxBytes: o.maxBytes ?? 96 * 1024 ** 2,
    frames: o.frames ?? true,
    schema: LeaseReplySchema,
  });
const refusal = async (o: Parameters<typeof lease>[0] = {}): Promise<NetworkError> => {
  const error: unknown = await lease(o).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(error instanceof NetworkError, `a NetworkError, not ${String(error)}`);
  assert.ok(error.message.length > 10);
  return error;
};

test('a frame asked for is parsed once by the lease schema; one not asked for is no JSON', { timeout: 60_000 }, async () => {
  served = { body: honest };
  const reply = await lease();
  assert.ok(reply.kind === 'task' && reply.task.inputs['X']?.kind === 'bytes');
  assert.equal((await refusal({ frames: false })).code, 'BAD_REPLY');
});

test('every damaged lease frame is one coded error, and a refusal stays JSON', { timeout: 60_000 }, async () => {
  const deep = `{"kind":"task","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
  const cases: [string, { body: Buffer; type?: string; status?: number }, string, { maxBytes?: number }?][] = [
    ['cut short', { body: honest.subarray(0, honest.length - 1000) }, 'BAD_REPLY'],
    ['under 8 bytes', { body: honest.subarray(0, 5) }, 'BAD_REPLY'],
    ['a payload length past the body', { body: framed(header, payload, { head: headLength, payload: payload.length + 1 }) }, 'BAD_REPLY'],
    ['a header length past the body', { body: framed(header, payload, { head: 0xffff_ffff, payload: payload.length }) }, 'BAD_REPLY'],
    ['bytes past the payload', { body: framed(header, payload.subarray(0, 1024)) }, 'BAD_REPLY'],
    ['a reference that is no pair of integers', { body: framed(header.replace('"$bytes":[0,', '"$bytes":[-1,'), payload) }, 'BAD_REPLY'],
    ['a header that is not JSON', { body: framed(header.slice(0, -2), payload) }, 'BAD_REPLY'],
    ['a header nested past the stack', { body: framed(deep, new Uint8Array(0)) }, 'BAD_REPLY'],
    ['a hash that is no hash', { body: framed(header.replace(/"sha256":"[0-9a-f]+"/, '"sha256":"x"'), payload) }, 'BAD_REPLY'],
    ['tensors over the reply limit', { body: honest }, 'TOO_LARGE', { maxBytes: 1024 * 1024 }],
    [
      'a refusal',
      { body: Buffer.from('{"error":{"code":"nope","message":"refused"}}'), type: 'application/json', status: 403 },
      'REJECTED',
    ],
    ['a refusal claiming to be a frame', { body: honest, status: 403 }, 'BAD_REPLY'],
  ];
  for (const [name, body, code, o] of cases) {
    served = body;
    assert.equal((await refusal(o)).code, code, name);
  }
});

test('the runtime takes an input sent as bytes where it lies, once its size and hash check out', { timeout: 60_000 }, async () => {
  const runtime = createRuntime({
    cacheDir: await tempDir(),
    clock: new FakeClock(),
    logger: new MemoryLogger(),
    coordinatorUrl: () => null,
  });
  const reply = LeaseReplySchema.parse(decodeFrame(honest));
  assert.ok(reply.kind === 'task');
  const x = reply.task.inputs['X'];
  assert.ok(x?.kind === 'bytes');
  const refused = async (inputs: Task['inputs']): Promise<string> => {
    const prepared = await runtime.prepare({ ...reply.task, inputs }, new AbortController().signal);
    assert.ok(!prepared.ok);
    assert.equal(prepared.error.code, 'invalid-task');
    return prepared.error.message;
  };
  assert.match(await refused({ X: { ...x, sha256: sha256(Buffer.from('other')) } }), /hash/);
  assert.match(await refused({ X: { ...x, shape: [1024, 1023] } }), /needs 4190208 bytes, got 4194304/);
  // Past the inputs, the model is fetched: here from nowhere, so the task fails on its model, not on its input.
  const prepared = await runtime.prepare(reply.task, new AbortController().signal);
  assert.ok(!prepared.ok);
  assert.equal(prepared.error.code, 'model-unavailable');
  assert.deepEqual(Buffer.from(x.data), input, 'the task keeps its bytes, for a second preparation');
});
