import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { encodeFrame, FrameReader } from '../../main/core/runtime/frames.js';
import { decodeFrame, encodeFrame as encodeCommonFrame, FrameError } from '../../main/common/frame.js';
import { ModelCache } from '../../main/core/runtime/model-cache.js';
import { countOperations, readModelGraph } from '../../main/core/onnx/model-graph.js';
import { encodeModel, gemmModel, matMulIntegerModel, matMulModel, referenceMatMul, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { defaultHostEntry } from '../../main/core/runtime/host.js';
import { executionProviders } from '../../main/core/runtime/providers.js';
import { splitOutput, stackFeeds, type PreparedTask } from '../../main/core/runtime/runtime.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { ModelServer, runtimeWithHost, sha256 } from '../helpers/runtime-fixtures.js';

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(Number(a[i]) - Number(b[i])) <= tol, `element ${i}: ${a[i]} vs ${b[i]}`);
};

describe('generated ONNX models on real onnxruntime', { timeout: 120_000 }, () => {
  it('MatMul with a dynamic batch axis matches the plain-JS reference for several batch sizes', async () => {
    const m = matMulModel({ rows: 'batch', inner: 16, cols: 7, seed: 3 });
    const s = await ort.InferenceSession.create(m.bytes);
    assert.deepEqual((s.inputMetadata[0] as { shape: unknown }).shape, ['batch', 16]);
    for (const rows of [1, 5]) {
      const x = seededFloats(rows * 16, rows);
      const y = (await s.run({ X: new ort.Tensor('float32', x, [rows, 16]) }))['Y']!;
      assert.deepEqual(y.dims, [rows, 7]);
      near(y.data as Float32Array, referenceMatMul(x, m.weights, rows, 16, 7));
    }
  });

  it('Gemm adds the bias; MatMulInteger is exact', async () => {
    const g = gemmModel({ rows: 3, inner: 5, cols: 4 });
    const x = seededFloats(15, 2);
    const y = (await (await ort.InferenceSession.create(g.bytes)).run({ X: new ort.Tensor('float32', x, [3, 5]) }))['Y']!;
    near(
      y.data as Float32Array,
      referenceMatMul(x, g.weights, 3, 5, 4).map((v, i) => v + g.bias[i % 4]!),
    );
    const q = matMulIntegerModel({ rows: 2, inner: 6, cols: 3 });
    const xi = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const yi = (await (await ort.InferenceSession.create(q.bytes)).run({ X: new ort.Tensor('uint8', xi, [2, 6]) }))['Y']!;
    assert.deepEqual([...(yi.data as Int32Array)], referenceMatMul(xi, q.weights, 2, 6, 3));
  });

  it('reads the graph back: batchable axis and operations per run', () => {
    const dyn = readModelGraph(matMulModel({ rows: 'n', inner: 64, cols: 32 }).bytes);
    assert.equal(dyn.batchable, true);
    assert.equal(countOperations(dyn, { X: [10, 64] }), 2 * 10 * 64 * 32);
    const fixed = readModelGraph(gemmModel({ rows: 4, inner: 8, cols: 2 }).bytes);
    assert.equal(fixed.batchable, false);
    assert.equal(countOperations(fixed, { X: [4, 8] }), 2 * 4 * 8 * 2 + 4 * 2);
    // A chain: MatMul then Relu, shapes followed through the graph.
    const chain = encodeModel({
      nodes: [
        { op: 'MatMul', inputs: ['X', 'W'], outputs: ['H'] },
        { op: 'Relu', inputs: ['H'], outputs: ['Y'] },
      ],
      inputs: [{ name: 'X', dtype: 'float32', shape: ['b', 3] }],
      outputs: [{ name: 'Y', dtype: 'float32', shape: ['b', 2] }],
      initializers: [{ name: 'W', dtype: 'float32', shape: [3, 2], data: seededFloats(6) }],
    });
    assert.equal(countOperations(readModelGraph(chain), { X: [5, 3] }), 2 * 5 * 3 * 2 + 5 * 2);
    assert.throws(() => readModelGraph(Uint8Array.from([0x0a, 0x50, 1])), /truncated/);
  });

  it('follows a small CNN through Conv, MaxPool and GlobalAveragePool, with the shapes onnxruntime computes', async () => {
    const cnn = encodeModel({
      nodes: [
        { op: 'Conv', inputs: ['X', 'W', 'B'], outputs: ['C'], attributes: { pads: [1, 1, 1, 1], strides: [2, 2] } },
        { op: 'MaxPool', inputs: ['C'], outputs: ['P'], attributes: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'GlobalAveragePool', inputs: ['P'], outputs: ['Y'] },
      ],
      inputs: [{ name: 'X', dtype: 'float32', shape: ['n', 3, 9, 9] }],
      outputs: ['C', 'P', 'Y'].map((name) => ({ name, dtype: 'float32' as const, shape: ['n', 4, '?h', '?w'] })),
      initializers: [
        { name: 'W', dtype: 'float32', shape: [4, 3, 3, 3], data: seededFloats(108) },
        { name: 'B', dtype: 'float32', shape: [4], data: seededFloats(4) },
      ],
    });
    const run = await (await ort.InferenceSession.create(cnn)).run({ X: new ort.Tensor('float32', seededFloats(2 * 243), [2, 3, 9, 9]) });
    // (9 + 1 + 1 - 3) / 2 + 1 = 5, then (5 - 2) / 2 + 1 = 2: the same formulas as countOperations.
    assert.deepEqual(
      [run['C']!.dims, run['P']!.dims, run['Y']!.dims],
      [
        [2, 4, 5, 5],
        [2, 4, 2, 2],
        [2, 4, 1, 1],
      ],
    );
    const conv = 2 * (2 * 4 * 5 * 5) * 3 * (3 * 3) + 2 * 4 * 5 * 5; // multiply-adds over C_in × kernel, plus the bias
    const pool = 2 * 4 * 2 * 2 * (2 * 2);
    const global = 2 * 4 * 2 * 2;
    assert.equal(countOperations(readModelGraph(cnn), { X: [2, 3, 9, 9] }), conv + pool + global);
  });
});

describe('micro-batching helpers', { timeout: 120_000 }, () => {
  it('stacks inputs along the first axis and splits outputs back by rows', () => {
    const mk = (rows: number, v: number): PreparedTask =>
      ({
        feeds: { X: { dtype: 'float32', shape: [rows, 2], data: new Uint8Array(new Float32Array(rows * 2).fill(v).buffer) } },
        rows,
      }) as unknown as PreparedTask;
    const stacked = stackFeeds([mk(1, 1), mk(3, 2)]);
    assert.deepEqual(stacked['X']!.shape, [4, 2]);
    assert.deepEqual([...new Float32Array(Uint8Array.from(stacked['X']!.data).buffer)], [1, 1, 2, 2, 2, 2, 2, 2]);
    const [a, b] = splitOutput(stacked['X']!, [1, 3]);
    assert.deepEqual(a!.shape, [1, 2]);
    assert.deepEqual([...new Float32Array(Uint8Array.from(b!.data).buffer)], [2, 2, 2, 2, 2, 2]);
  });
});

describe('job host pipe frames', { timeout: 120_000 }, () => {
  it('carries messages with raw byte fields intact, however the stream is chunked', () => {
    const a = Buffer.from(new Float32Array([1.5, -2, 3]).buffer);
    const b = new Uint8Array([7, 8]);
    const messages = [{ type: 'run', feeds: { X: { shape: [3], data: a }, Z: { data: b } }, n: 1 }, { type: 'ready' }];
    const bytes = Buffer.concat(messages.flatMap((m) => encodeFrame(m)));
    // Both ways in: pushed stream chunks, and reads into the reader's own target() (net.Socket onread).
    const feeds = {
      push: (reader: FrameReader, size: number) => {
        for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
      },
      target: (reader: FrameReader, size: number) => {
        for (let i = 0; i < bytes.length;) {
          const into = reader.target();
          assert.ok(into.length > 0);
          const n = Math.min(size, into.length, bytes.length - i);
          into.set(bytes.subarray(i, i + n));
          i += n;
          reader.advance(n);
        }
      },
    };
    for (const [how, size] of Object.keys(feeds).flatMap((how) =>
      [1, 5, bytes.length].map((size) => [how as keyof typeof feeds, size] as const),
    )) {
      const got: unknown[] = [];
      const reader = new FrameReader((m) => got.push(m));
      feeds[how](reader, size);
      assert.equal(got.length, 2);
      const first = got[0] as { feeds: { X: { shape: number[]; data: Uint8Array }; Z: { data: Uint8Array } } };
      assert.ok(first.feeds.X.data instanceof Uint8Array);
      assert.deepEqual([...new Float32Array(Uint8Array.from(first.feeds.X.data).buffer)], [1.5, -2, 3]);
      assert.deepEqual([...first.feeds.Z.data], [7, 8]);
      assert.deepEqual(got[1], { type: 'ready' });
    }
  });
});

describe('frames held whole (outbox files, submit bodies)', { timeout: 120_000 }, () => {
  it('decode to views of the one buffer, and refuse a frame cut short, a header that is not JSON or bytes outside it', () => {
    const data = new Uint8Array([1, 2, 3, 4]);
    const whole = Buffer.concat(encodeCommonFrame({ a: 'x', t: { data } }));
    const back = decodeFrame(whole) as { a: string; t: { data: Uint8Array } };
    assert.deepEqual([back.a, [...back.t.data]], ['x', [1, 2, 3, 4]]);
    assert.equal(back.t.data.buffer, whole.buffer, 'a view, not a copy');
    assert.throws(() => decodeFrame(whole.subarray(0, -1)), FrameError);
    assert.throws(() => decodeFrame(whole.subarray(0, 5)), FrameError);
    const header = (text: string, payload: number[]) => {
      const head = Buffer.from(text);
      const prefix = Buffer.alloc(8);
      prefix.writeUInt32LE(head.length, 0);
      prefix.writeUInt32LE(payload.length, 4);
      return Buffer.concat([prefix, head, Buffer.from(payload)]);
    };
    assert.throws(() => decodeFrame(header('{"a":', [])), /not JSON/);
    assert.throws(() => decodeFrame(header('{"d":{"$bytes":[2,3]}}', [1, 2, 3])), /outside a payload of 3/);
    assert.throws(() => decodeFrame(header('{"d":{"$bytes":[-1,1]}}', [1])), /outside/);
    assert.throws(() => decodeFrame(header('{"d":{"$bytes":[0.5,1]}}', [1, 2])), /outside/);
    assert.deepEqual([...(decodeFrame(header('{"d":{"$bytes":[1,2]}}', [1, 2, 3])) as { d: Uint8Array }).d], [2, 3]);
  });
});

describe('job host spill folder', { timeout: 120_000 }, () => {
  it('moves a large payload through a file, which the writer reuses once read; small ones stay in the pipe', async () => {
    const dir = await tempDir('synor-spill-');
    const spill = { dir, minBytes: 1024 };
    const got: unknown[] = [];
    const reader = new FrameReader((m) => got.push(m), undefined, dir);
    // A smaller payload into the reused file must not carry the bigger one's tail along.
    for (const [i, size] of [8192, 4096, 6000].entries()) {
      const big = new Uint8Array(size).map((_, k) => (k + i) % 251);
      const frame = encodeFrame({ type: 'run', feeds: { X: { data: big }, Z: { data: big.subarray(0, 3) } } }, spill);
      assert.equal(frame.length, 2, 'prefix and header only: the bytes went to the file');
      reader.push(Buffer.concat(frame));
      const { X, Z } = (got[i] as { feeds: Record<'X' | 'Z', { data: Uint8Array }> }).feeds;
      assert.deepEqual([X.data.length, [...Z.data]], [size, [...big.subarray(0, 3)]]);
      assert.ok(X.data.every((v, k) => v === big[k]));
      const files = await readdir(dir);
      assert.equal(files.length, 1, 'one file, reused');
      assert.match(files[0]!, new RegExp(`^free-${process.pid}-\\d+$`), 'read, and handed back to the writer');
      assert.equal((await stat(join(dir, files[0]!))).size, size + 3);
    }
    const small = encodeFrame({ data: new Uint8Array([1, 2, 3]) }, spill);
    assert.equal(small.length, 3);
    reader.push(Buffer.concat(small));
    assert.deepEqual([...(got[3] as { data: Uint8Array }).data], [1, 2, 3]);
  });

  it('falls back to the pipe when the folder cannot take the payload', () => {
    const frame = encodeFrame({ data: new Uint8Array(4096) }, { dir: '/nonexistent/synor', minBytes: 1024 });
    const got: unknown[] = [];
    new FrameReader((m) => got.push(m)).push(Buffer.concat(frame));
    assert.equal((got[0] as { data: Uint8Array }).data.length, 4096);
  });

  it('refuses a spilled frame naming a file outside its folder, or with no folder to read from', async () => {
    const home = await tempDir('synor-spill-');
    const dir = join(home, 'spill');
    await mkdir(dir);
    const outside = join(home, 'secret');
    await writeFile(outside, 'keep me');
    const header = Buffer.from(JSON.stringify({ $spill: ['../secret', 7], m: {} }));
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(header.length, 0);
    assert.throws(() => new FrameReader(() => undefined, undefined, dir).push(Buffer.concat([prefix, header])), /bad spill file name/);
    assert.equal(await readFile(outside, 'utf8'), 'keep me');
    const frame = Buffer.concat(encodeFrame({ data: new Uint8Array(4096) }, { dir, minBytes: 1024 }));
    assert.throws(() => new FrameReader(() => undefined).push(frame), /no spill folder/);
  });
});

describe('spill folders', { timeout: 120_000, skip: process.platform !== 'linux' && 'spill folders live on Linux /dev/shm' }, () => {
  const ours = async (): Promise<string[]> => (await readdir('/dev/shm')).filter((n) => n.startsWith(`synor-${process.pid}-`));

  it("a job host's folder goes when the host exits", async () => {
    const runtime = await runtimeWithHost(defaultHostEntry());
    const before = await ours();
    const host = runtime.spawnHost('idle', () => undefined);
    assert.equal((await ours()).length, before.length + 1);
    host.kill('shutdown', 'test');
    const alive = setInterval(() => undefined, 60_000); // an idle host does not hold the event loop open, by design
    await host.exited;
    clearInterval(alive);
    assert.deepEqual(await ours(), before);
  });

  // The timeout only turns a host that is never killed into a failure instead of a hang.
  it(
    "a dead agent's folders and stopped job hosts are swept when a runtime starts; a live agent's are kept",
    { timeout: 20_000 },
    async () => {
      const child = spawn(process.execPath, ['-e', '']);
      await once(child, 'exit');
      const dead = `/dev/shm/synor-${child.pid}-test`;
      const live = `/dev/shm/synor-${process.pid}-test`;
      await mkdir(dead);
      await writeFile(join(dead, '1-1'), 'left behind');
      await mkdir(live);
      // Stand-ins for job hosts the agents had stopped (a host gets its folder as an argument).
      const host = (folder: string): ChildProcess => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', 'idle', folder]);
      const [orphan, ours] = [host(dead), host(live)];
      await Promise.all([once(orphan, 'spawn'), once(ours, 'spawn')]);
      orphan.kill('SIGSTOP');
      ours.kill('SIGSTOP');
      const orphanGone = once(orphan, 'exit');
      await runtimeWithHost(defaultHostEntry());
      assert.deepEqual(await orphanGone, [null, 'SIGKILL']);
      await assert.rejects(stat(dead), { code: 'ENOENT' });
      assert.ok((await stat(live)).isDirectory());
      assert.equal(ours.exitCode ?? ours.signalCode, null, "the live agent's host is left alone");
      ours.kill('SIGKILL');
      await rm(live, { recursive: true });
    },
  );
});

describe('execution providers', { timeout: 120_000 }, () => {
  it('passes the VRAM budget to CUDA as gpu_mem_limit and keeps CPU last', () => {
    const eps = executionProviders({
      threads: 2,
      providers: ['cuda', 'cpu'],
      deviceIndex: 1,
      vramBudgetBytes: 512 * 1024 ** 2,
      warmSessions: 2,
    });
    assert.deepEqual(eps, [{ name: 'cuda', deviceId: 1, gpu_mem_limit: 512 * 1024 ** 2 }, { name: 'cpu' }]);
  });
});

describe('model cache', { timeout: 120_000 }, () => {
  const server = new ModelServer();
  before(() => server.start());
  after(() => server.close());
  const cache = async (capBytes = 1 << 20): Promise<{ cache: ModelCache; dir: string; clock: ReturnType<typeof fakePorts>['clock'] }> => {
    const dir = await tempDir('synor-cache-');
    const ports = fakePorts();
    return { cache: new ModelCache({ dir, capBytes, clock: ports.clock, logger: ports.logger }), dir, clock: ports.clock };
  };

  it('downloads once, verifies, and keeps blobs named by hash inside its folder', async () => {
    const { cache: c, dir } = await cache();
    const bytes = matMulModel({ rows: 2, inner: 4, cols: 4 }).bytes;
    const ref = server.add('a.onnx', bytes);
    const first = await c.ensure(ref);
    assert.ok(first.ok);
    assert.equal(relative(dir, first.value), join('blobs', ref.sha256));
    assert.deepEqual(await readFile(first.value), Buffer.from(bytes));
    const before = server.requests.length;
    assert.ok((await c.ensure(ref)).ok);
    assert.equal(server.requests.length, before, 'second ensure is served from the cache');
    assert.throws(() => c.pathOf('../../etc/passwd'), /sha256/);
  });

  it('rejects a download whose bytes do not match the hash and leaves nothing behind', async () => {
    const { cache: c, dir } = await cache();
    const ref = server.add('wrong.onnx', Uint8Array.from([1, 2, 3, 4]), 'f'.repeat(64));
    const got = await c.ensure(ref);
    assert.equal(got.ok, false);
    assert.match(!got.ok ? got.error.message : '', /hash to .* the task says f{64}: deleted/);
    assert.deepEqual(await readdir(join(dir, 'partial')), []);
    assert.deepEqual(await readdir(join(dir, 'blobs')), []);
  });

  it('remembers a refused source across a restart until its 10 minutes are over; a damaged memory is set aside', async () => {
    const { cache: first, dir, clock } = await cache();
    const ports = fakePorts();
    const again = (): ModelCache => new ModelCache({ dir, capBytes: 1 << 20, clock, logger: ports.logger });
    const ref = server.add('hostile.onnx', Uint8Array.from([5, 6, 7]), 'e'.repeat(64));
    const refused = await first.ensure(ref);
    assert.match(!refused.ok ? refused.error.message : '', /hash to/);
    const requests = server.requests.length;
    const restarted = await again().ensure(ref);
    assert.match(!restarted.ok ? restarted.error.message : '', /hash to .*not tried again for 10 minutes/);
    assert.equal(server.requests.length, requests, 'not downloaded again after the restart');
    clock.time += 10 * 60_000;
    assert.equal((await again().ensure(ref)).ok, false);
    assert.equal(server.requests.length, requests + 1, 'tried again once the 10 minutes are over');
    await writeFile(join(dir, 'refused.json'), '{"version":1,"refused":[{"sha256":"nope"}]}');
    assert.equal((await again().ensure(ref)).ok, false, 'a damaged memory is no reason to stop');
    assert.equal(server.requests.length, requests + 2);
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('refused.json.bad-')).length, 1);
    assert.ok(ports.logger.lines.some((l) => /refused\.json is damaged .* kept as refused\.json\.bad-/.test(l)));
  });

  it('refuses non-http URLs and models larger than the cache', async () => {
    const { cache: c } = await cache(100);
    const file = await c.ensure({ url: 'file:///etc/passwd', sha256: 'a'.repeat(64), size: 10 });
    assert.match(!file.ok ? file.error.message : '', /only http\(s\)/);
    const big = await c.ensure({ url: 'http://127.0.0.1:1/x', sha256: 'a'.repeat(64), size: 101 });
    assert.match(!big.ok ? big.error.message : '', /larger than the/);
  });

  it('resumes an interrupted download with an HTTP Range request', async () => {
    const { cache: c } = await cache();
    const bytes = seededFloats(20_000, 4);
    const ref = server.add('big.bin', new Uint8Array(bytes.buffer));
    server.cutAfter = 30_000;
    const first = await c.ensure(ref);
    assert.equal(first.ok, false);
    assert.match(!first.ok ? first.error.message : '', /stopped at 30000 of 80000 bytes/);
    const second = await c.ensure(ref);
    assert.ok(second.ok, !second.ok ? second.error.message : '');
    assert.equal(server.requests.at(-1)?.range, 'bytes=30000-');
    assert.equal(sha256(await readFile(second.value)), ref.sha256);
  });

  it('drops a download that stalls, then resumes it', async () => {
    const dir = await tempDir('synor-cache-');
    const ports = fakePorts();
    const c = new ModelCache({ dir, capBytes: 1 << 20, clock: ports.clock, logger: ports.logger, stallMs: 200 });
    const ref = server.add('stall.bin', new Uint8Array(seededFloats(10_000, 6).buffer));
    server.stallAfter = 12_000;
    const first = await c.ensure(ref);
    assert.match(!first.ok ? first.error.message : '', /stopped at 12000 of 40000 bytes .*no data for 0.2 s/);
    const second = await c.ensure(ref);
    assert.ok(second.ok);
    assert.equal(server.requests.at(-1)?.range, 'bytes=12000-');
  });

  it('evicts the least recently used unpinned blob to stay under its cap', async () => {
    const { cache: c, clock } = await cache(2500);
    const blob = (i: number): Uint8Array => new Uint8Array(1000).fill(i);
    const refs = [1, 2, 3].map((i) => server.add(`lru${i}`, blob(i)));
    const [r1, r2, r3] = refs as [(typeof refs)[0], (typeof refs)[0], (typeof refs)[0]];
    assert.ok((await c.ensure(r1)).ok);
    clock.time += 1000;
    assert.ok((await c.ensure(r2)).ok);
    clock.time += 1000;
    const unpin = c.pin(r1.sha256); // r1 is older but in use
    assert.ok((await c.ensure(r3)).ok);
    unpin();
    const kept = (await c.list()).map((e) => e.sha256).sort();
    assert.deepEqual(kept, [r1.sha256, r3.sha256].sort());
    assert.equal((await stat(c.pathOf(r1.sha256))).size, 1000);
  });

  it('re-downloads a cached blob whose size no longer matches, once its last check is 10 s old', async () => {
    const { cache: c, clock } = await cache();
    const ref = server.add('trunc', new Uint8Array(500).fill(7));
    const got = await c.ensure(ref);
    assert.ok(got.ok);
    await writeFile(got.value, 'short');
    const requests = server.requests.length;
    assert.ok((await c.ensure(ref)).ok, 'a blob found whole in the last 10 s is not looked at again (one stat per task cost ~0.5 ms)');
    clock.time += 10_000;
    const again = await c.ensure(ref);
    assert.ok(again.ok);
    assert.equal(server.requests.length, requests + 1);
    assert.equal(sha256(await readFile(again.value)), ref.sha256);
  });
});
