import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, before, test, type TestContext } from 'node:test';
import { encodeModel, matMulModel, referenceMatMul, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { cpuMs, isStopped } from '../../main/core/runtime/process-control.js';
import type { Scheduler } from '../../main/core/scheduler/scheduler.js';
import { PIPELINE_DEPTH } from '../../main/core/scheduler/state.js';
import { rotated, rotationModel } from '../helpers/slow-model.js';
import {
  fixtureHost,
  floats,
  matmulTask,
  ModelServer,
  decided,
  running,
  runtimeWithHost,
  sha256,
  testScheduler,
  type DeviceLimits,
  until,
  type Outcome,
} from '../helpers/runtime-fixtures.js';

const near = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-3, `element ${i}: ${a[i]} vs ${b[i]}`);
};
const result = (o: Outcome): Extract<Outcome, { kind: 'result' }>['result'] => {
  assert.equal(o.kind, 'result', JSON.stringify(o).slice(0, 400));
  return (o as Extract<Outcome, { kind: 'result' }>).result;
};
const release = (o: Outcome): Extract<Outcome, { kind: 'release' }> => {
  assert.equal(o.kind, 'release', JSON.stringify(o).slice(0, 400));
  return o as Extract<Outcome, { kind: 'release' }>;
};
const pidOf = (s: Scheduler, lane = 'cpu'): number => s.snapshot().lanes.find((l) => l.id === lane)!.pids[0]!;
const stateOf = (s: Scheduler, id: string): string | undefined => s.snapshot().tasks.find((t) => t.id === id)?.state;

// Each test has its own scheduler, job hosts and cache folder; they share only the model server. Its limit is generous
// for a machine busy twice over: beside a CPU hog the job hosts' compute threads, at the lowest priority, get little.
const LIMIT = { timeout: 240_000 };
const server = new ModelServer();
const small = matMulModel({ rows: 'batch', inner: 8, cols: 5 });
let smallRef: ReturnType<ModelServer['add']>;
let slowRef: ReturnType<ModelServer['add']>;
const SLOW_LAYERS = 64;
const slowX = seededFloats(1024 * 512, 5);
/** The slow task's answer, known without a run (rotationModel). */
const slowY = rotated(slowX, SLOW_LAYERS);
before(async () => {
  await server.start();
  smallRef = server.add('mm', small.bytes);
  slowRef = server.add('slow', rotationModel(SLOW_LAYERS));
});
after(() => server.close());

/**
 * The device's limits to run with: at 'low' priority (nice 10), not the default 'idle' (nice 19), where the priority is
 * not what a test is about. Beside a CPU hog a nice-19 thread gets ~1.5 % of a core, a nice-10 one ~10 %: a test's
 * runs would take minutes. The first test checks 'idle' itself.
 */
const go = (limits: Partial<DeviceLimits> = {}): DeviceLimits => running({ priority: 'low', ...limits });

type Fixture = Awaited<ReturnType<typeof testScheduler>>;
/** A scheduler on a real runtime, closed (its job hosts ended) when the test ends, passed or not. */
async function open(ctx: TestContext, options: Parameters<typeof testScheduler>[0] = {}): Promise<Fixture> {
  const t = await testScheduler(options);
  ctx.after(() => t.scheduler.close());
  return t;
}

const check = async (t: Fixture, rows = 3): Promise<void> => {
  const x = seededFloats(rows * 8, rows);
  const task = matmulTask(smallRef, x, [rows, 8]);
  t.source.offer(task);
  near(floats(result(await t.outcome(task.id))), referenceMatMul(x, small.weights, rows, 8, 5));
};

/** A running scheduler with the slow task (`extra` applied) now running in a job host, and that task's answer. */
async function slowTaskRunning(
  ctx: TestContext,
  options: Parameters<typeof testScheduler>[0] = {},
  extra: Parameters<typeof matmulTask>[3] = {},
) {
  const t = await open(ctx, options);
  t.scheduler.apply(decided('cpu', go()));
  const task = matmulTask(slowRef, slowX, [1024, 512], extra);
  t.source.offer(task);
  await until(t.scheduler, () => stateOf(t.scheduler, task.id) === 'running');
  return { t, expected: slowY, task };
}

test('runs a MatMul task in a job host and accounts for it', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', running()));
  const x = seededFloats(3 * 8, 9);
  const task = matmulTask(smallRef, x, [3, 8]);
  t.source.offer(task);
  const r = result(await t.outcome(task.id));
  near(floats(r), referenceMatMul(x, small.weights, 3, 8, 5));
  assert.equal(r.accounting.operations, 2 * 3 * 8 * 5);
  assert.equal(r.accounting.device, 'cpu/cpu');
  assert.ok(r.accounting.peakRssBytes > 10 * 1024 ** 2 && r.accounting.wallMs > 0);
  if (process.platform === 'linux') {
    // Compute threads at the lowest priority; the main thread, which takes SIGSTOP for the process, at normal.
    const pid = pidOf(t.scheduler);
    const nice = (tid: string): number => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const tids = readdirSync(`/proc/${pid}/task`);
    assert.equal(nice(String(pid)), getPriority(), "main thread at the agent's own priority");
    assert.deepEqual(new Set(tids.filter((tid) => tid !== String(pid)).map(nice)), new Set([19]));
  }
});

test('leases tasks from a task source when it has room, and asks again later when the source had none', LIMIT, async (ctx) => {
  const inputs = [2, 1, 3, 2, 1].map((rows, i) => ({ rows, x: seededFloats(rows * 8, 40 + i) }));
  const pending = inputs.map(({ rows, x }) => matmulTask(smallRef, x, [rows, 8]));
  const asked: number[] = [];
  const t = await open(ctx, {
    leaseRetryMs: 20,
    source: {
      lease: (slots) => {
        asked.push(slots);
        // The first answer is empty: the network had nothing yet.
        return Promise.resolve(asked.length === 1 ? [] : pending.splice(0, slots));
      },
    },
  });
  assert.deepEqual(asked, [], 'no lease while the policy has not said run');
  t.scheduler.apply(decided('cpu', go()));
  for (const [i, task] of [...pending].entries())
    near(floats(result(await t.outcome(task.id))), referenceMatMul(inputs[i]!.x, small.weights, inputs[i]!.rows, 8, 5));
  // One task a job until the model is known to batch, then up to maxBatch (16) a job (lease-room.ts).
  const sizes = `lease sizes ${asked.join(',')}`;
  assert.ok(asked.length >= 3 && asked.slice(0, 2).every((n) => n >= 1 && n <= PIPELINE_DEPTH), sizes);
  assert.ok(
    asked.every((n) => n >= 1 && n <= PIPELINE_DEPTH * 16),
    sizes,
  );
});

test('rejects bad tasks with a reason and keeps the same job host serving good ones', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go()));
  const notOnnx = matmulTask(server.add('junk', Uint8Array.from([1, 2, 3, 4, 5])), seededFloats(8), [1, 8]);
  const wrongHash = matmulTask(server.add('liar', small.bytes, sha256(Uint8Array.from([9]))), seededFloats(8), [1, 8]);
  const wrongShape = matmulTask(smallRef, seededFloats(9), [1, 9]);
  const badBytes = matmulTask(smallRef, seededFloats(8), [1, 8], {
    inputs: { X: { kind: 'inline', dtype: 'float32', shape: [2, 8], data: 'AAAA' } },
  });
  // Right length, one character outside base64 (the schema checks only the length; decoding checks the rest).
  const good = matmulTask(smallRef, seededFloats(8), [1, 8]);
  const x = good.inputs['X'];
  assert.ok(x?.kind === 'inline');
  const badChar = { ...good, id: 'bad-char', inputs: { X: { ...x, data: `!${x.data.slice(1)}` } } };
  t.source.offer(notOnnx, wrongHash, wrongShape, badBytes, badChar);
  const junk = release(await t.outcome(notOnnx.id));
  assert.equal(junk.reason, 'model-unavailable');
  assert.match(junk.message, /not an ONNX model|rejected the model/);
  const liar = release(await t.outcome(wrongHash.id));
  assert.equal(liar.reason, 'model-unavailable');
  assert.match(liar.message, /hash to/);
  const shape = release(await t.outcome(wrongShape.id));
  assert.equal(shape.reason, 'invalid-task');
  assert.match(shape.message, /expected shape \[batch, 8\], got \[1, 9\]/);
  const bytes = release(await t.outcome(badBytes.id));
  assert.equal(bytes.reason, 'invalid-task');
  assert.match(bytes.message, /needs 64 bytes, got 3/);
  const chars = release(await t.outcome('bad-char'));
  assert.equal(chars.reason, 'invalid-task');
  assert.match(chars.message, /input "X": not valid base64/);
  const pid = pidOf(t.scheduler);
  await check(t);
  assert.equal(pidOf(t.scheduler), pid, 'errors did not cost the job host');
});

test(
  'keeps an idle job host stopped (onnxruntime threads spin ~40 ms after a run) and wakes it for the next task',
  { timeout: LIMIT.timeout, skip: process.platform !== 'linux' && 'reads process states from /proc' },
  async (ctx) => {
    const t = await open(ctx);
    t.scheduler.apply(decided('cpu', go({ threads: 2 })));
    const stopped = async (pid: number): Promise<void> => {
      // The signal is sent before the result is reported; the kernel stops the process as it lands.
      const deadline = performance.now() + 5_000;
      while (isStopped(pid) !== true) {
        assert.ok(performance.now() < deadline, 'the idle job host was not stopped');
        await new Promise((r) => setImmediate(r));
      }
    };
    await check(t);
    const pid = pidOf(t.scheduler);
    await stopped(pid);
    await check(t);
    assert.equal(pidOf(t.scheduler), pid, 'the same warm host ran it');
    await stopped(pid);
  },
);

test('fetches a cached model again when the job host finds it changed or gone on disk', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go()));
  await check(t);
  const path = t.runtime.cache.pathOf(smallRef.sha256);
  const downloads = (): number => server.requests.filter((r) => r.path === '/mm').length;
  const before = downloads();
  // Another thread count makes the host open the model from disk again, while the cache still trusts its recent check.
  writeFileSync(path, Buffer.alloc(small.bytes.length));
  t.scheduler.apply(decided('cpu', go({ threads: 2 })));
  await check(t);
  rmSync(path);
  t.scheduler.apply(decided('cpu', go({ threads: 3 })));
  await check(t);
  assert.equal(downloads(), before + 2);
});

test('retries a task whose job host is killed mid-run (kill -9), and gives up after the retry limit', LIMIT, async (ctx) => {
  const { t, expected, task } = await slowTaskRunning(ctx, { maxRetries: 1 });
  const first = pidOf(t.scheduler);
  process.kill(first, 'SIGKILL');
  await until(t.scheduler, () => (t.scheduler.snapshot().tasks.find((x) => x.id === task.id)?.attempts ?? 0) === 1);
  await until(t.scheduler, () => stateOf(t.scheduler, task.id) === 'running');
  near(floats(result(await t.outcome(task.id))), expected);
  assert.notEqual(pidOf(t.scheduler), first);

  const doomed = matmulTask(slowRef, slowX, [1024, 512]);
  t.source.offer(doomed);
  for (let i = 0; i < 2; i++) {
    await until(t.scheduler, () => stateOf(t.scheduler, doomed.id) === 'running');
    process.kill(pidOf(t.scheduler), 'SIGKILL');
    await until(t.scheduler, () => stateOf(t.scheduler, doomed.id) !== 'running');
  }
  const gone = release(await t.outcome(doomed.id));
  assert.equal(gone.reason, 'runtime-error');
  assert.match(gone.message, /gave up after 2 attempts: job host exited \(SIGKILL\)/);
  await check(t); // the agent and a fresh host carry on
});

test('releases a task when its job host cannot even start, without a crash loop', LIMIT, async (ctx) => {
  const s = await open(ctx, { runtime: await runtimeWithHost({ path: '/nonexistent/job-host.js', execArgv: [] }), maxRetries: 1 });
  s.scheduler.apply(decided('cpu', go()));
  const task = matmulTask(smallRef, seededFloats(8), [1, 8]);
  s.source.offer(task);
  const r = release(await s.outcome(task.id));
  assert.equal(r.reason, 'runtime-error');
  assert.match(r.message, /gave up after 2 attempts: job host exited \(code 1\): Error: Cannot find module '\/nonexistent\/job-host.js'/);
});

test('treats a job host that sends a garbled frame as crashed: retried, then released; the agent carries on', LIMIT, async (ctx) => {
  const s = await open(ctx, { runtime: await runtimeWithHost(fixtureHost('garbled-host')), maxRetries: 1 });
  s.scheduler.apply(decided('cpu', go()));
  const task = matmulTask(smallRef, seededFloats(8), [1, 8]);
  s.source.offer(task);
  const r = release(await s.outcome(task.id));
  assert.equal(r.reason, 'runtime-error');
  assert.match(r.message, /gave up after 2 attempts: job host sent a malformed frame: FrameError: the frame header is not JSON/);
});

test('restarts a hung job host (stopped by someone else) after the run timeout and retries', LIMIT, async (ctx) => {
  // The run timeout counts from the host's "started", so the retry's fresh host must load onnxruntime in its worker
  // thread (at nice 10 here), open the model and run within it: ~0.8 s on a busy 2-core machine, but three attempts
  // timed out at 2 s at load 23, and at 5 s beside a CPU hog at load 40. The task is short (8 rows): the hang is the
  // SIGSTOP, and its time limit is the one wait this test cannot avoid.
  const t = await open(ctx, { runTimeoutMs: 15_000 });
  t.scheduler.apply(decided('cpu', go()));
  const x = seededFloats(8 * 512, 2);
  const task = matmulTask(slowRef, x, [8, 512]);
  t.source.offer(task);
  await until(t.scheduler, () => stateOf(t.scheduler, task.id) === 'running');
  process.kill(pidOf(t.scheduler), 'SIGSTOP'); // not our stop: to the scheduler this host just hangs
  const r = result(await t.outcome(task.id));
  near(floats(r), rotated(x, SLOW_LAYERS));
  assert.ok(
    t.ports.logger.lines.some((l) => /retrying .*job host hung/.test(l)),
    t.ports.logger.lines.join('\n'),
  );
  assert.equal(t.scheduler.snapshot().tasks.length, 0);
});

test('stops a job over its memory budget with a clear reason; the next task runs', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go({ memoryBudgetBytes: 400 * 1024 ** 2 })));
  const huge = encodeModel({
    nodes: [{ op: 'Expand', inputs: ['X', 'S'], outputs: ['Y'] }],
    inputs: [{ name: 'X', dtype: 'float32', shape: [1, 1] }],
    outputs: [{ name: 'Y', dtype: 'float32', shape: [16384, 32768] }],
    initializers: [{ name: 'S', dtype: 'int64', shape: [2], data: BigInt64Array.from([16384n, 32768n]) }],
  });
  const task = matmulTask(server.add('huge', huge), Float32Array.from([1]), [1, 1]);
  t.source.offer(task);
  const r = release(await t.outcome(task.id));
  assert.equal(r.reason, 'runtime-error');
  assert.match(r.message, /over its 400 MiB budget: stopped/);
  await check(t);
});

test("gives back at once ('invalid-task') a task whose memory estimate exceeds the whole budget, and carries on", LIMIT, async (ctx) => {
  const t = await open(ctx, { leaseRetryMs: 20 });
  t.scheduler.apply(decided('cpu', go({ memoryBudgetBytes: 300 * 1024 ** 2 })));
  const task = matmulTask(smallRef, seededFloats(8), [1, 8], { memoryEstimateBytes: 400 * 1024 ** 2 });
  t.source.offer(task);
  const r = release(await t.outcome(task.id));
  assert.equal(r.reason, 'invalid-task');
  assert.match(r.message, /needs 400 MiB of memory, and this computer shares at most 300 MiB/);
  await check(t);
});

test("does not start a task whose deadline has already passed: it goes back as 'expired', its model never fetched", LIMIT, async (ctx) => {
  const t = await open(ctx, { leaseRetryMs: 20 }); // a lease that brought nothing in is asked again after this
  t.scheduler.apply(decided('cpu', go()));
  const neverRef = server.add('never-fetched', small.bytes);
  const late = matmulTask(neverRef, seededFloats(8), [1, 8], { deadline: t.ports.clock.time - 1 });
  t.source.offer(late);
  const r = release(await t.outcome(late.id));
  assert.equal(r.reason, 'expired');
  assert.match(r.message, /deadline passed before it could start/);
  assert.equal(server.requests.filter((req) => req.path === '/never-fetched').length, 0);
  assert.deepEqual(t.scheduler.snapshot().tasks, []);
  await check(t); // the scheduler carries on
});

test(
  "pausing gives queued tasks back at once ('policy-pause'); the running one is suspended, kept, and finishes on resume",
  LIMIT,
  async (ctx) => {
    const { t, expected, task } = await slowTaskRunning(ctx);
    const queued = matmulTask(smallRef, seededFloats(8), [1, 8], { priority: 0 }); // another model, lower priority: waits
    t.source.offer(queued);
    await until(t.scheduler, () => stateOf(t.scheduler, queued.id) === 'queued');
    await t.source.leaseOpen(); // the device has room for one more: its next lease waits for the network
    t.scheduler.apply(decided('cpu', go({ run: false })));
    const r = release(await t.outcome(queued.id));
    assert.equal(r.reason, 'policy-pause');
    assert.equal(stateOf(t.scheduler, task.id), 'suspended', 'the running task is held, stopped, within maxPauseMs');
    // That lease is answered after sharing was turned off: its task is given back at once too.
    const whilePaused = matmulTask(smallRef, seededFloats(8), [1, 8]);
    t.source.offer(whilePaused);
    assert.equal(release(await t.outcome(whilePaused.id)).reason, 'policy-pause');
    t.scheduler.apply(decided('cpu', go()));
    near(floats(result(await t.outcome(task.id))), expected);
  },
);

test(
  "a lease answered after the scheduler closed gives its task back ('shutdown'), so it does not wait out its lease",
  LIMIT,
  async (ctx) => {
    const t = await open(ctx);
    t.scheduler.apply(decided('cpu', go()));
    await t.source.leaseOpen(); // a long-poll under way when the agent quits
    await t.scheduler.close();
    const late = matmulTask(smallRef, seededFloats(8), [1, 8]);
    t.source.offer(late);
    assert.equal(release(await t.outcome(late.id)).reason, 'shutdown');
  },
);

test('suspends a running job at once and resumes it without losing work', LIMIT, async (ctx) => {
  const { t, expected, task } = await slowTaskRunning(ctx);
  const pid = pidOf(t.scheduler);
  t.scheduler.apply(decided('cpu', go({ run: false })));
  assert.equal(stateOf(t.scheduler, task.id), 'suspended');
  await until(t.scheduler, () => isStopped(pid) === true);
  const cpu = cpuMs(pid);
  await new Promise<void>((r) => t.scheduler.onChange(r)); // the next scheduler tick
  assert.equal(cpuMs(pid), cpu, 'a stopped job uses no CPU');
  t.scheduler.apply(decided('cpu', go()));
  const r = result(await t.outcome(task.id));
  near(floats(r), expected);
  assert.equal(pidOf(t.scheduler), pid, 'same process: the run continued, it was not restarted');
});

test("hands tasks back with 'policy-pause' when paused for too long", LIMIT, async (ctx) => {
  const t = await open(ctx, { maxPauseMs: 300 });
  t.scheduler.apply(decided('cpu', go()));
  const task = matmulTask(slowRef, slowX, [1024, 512]);
  const waiting = matmulTask(smallRef, seededFloats(8), [1, 8]);
  t.source.offer(task);
  await until(t.scheduler, () => stateOf(t.scheduler, task.id) === 'running');
  await t.source.leaseOpen();
  t.scheduler.apply(decided('cpu', go({ run: false })));
  t.source.offer(waiting); // answers the lease that was open when sharing was turned off
  assert.equal(release(await t.outcome(task.id)).reason, 'policy-pause');
  assert.equal(release(await t.outcome(waiting.id)).reason, 'policy-pause');
});

test('micro-batches queued tasks for a model with a dynamic batch axis; each result is its own', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go()));
  await check(t, 2); // the host reports the model batchable on first load
  // A long task of another model holds the device's one job host (nothing pipelines behind it): the next ones queue.
  const long = matmulTask(slowRef, slowX, [1024, 512], { priority: 9 });
  t.source.offer(long);
  await until(t.scheduler, () => stateOf(t.scheduler, long.id) === 'running');
  const inputs = [1, 2, 3, 1, 4, 2].map((rows, i) => ({ rows, x: seededFloats(rows * 8, 100 + i) }));
  const tasks = inputs.map(({ rows, x }) => matmulTask(smallRef, x, [rows, 8], { memoryEstimateBytes: 1024 }));
  t.source.offer(...tasks);
  // The device leases as many as its one job host's pipeline holds (the rest wait at the network): all queued.
  await until(t.scheduler, () => {
    const held = t.scheduler.snapshot().tasks.filter((x) => x.id !== long.id);
    return held.length === PIPELINE_DEPTH - 1 && held.every((x) => x.state === 'queued');
  });
  let together = 0;
  t.scheduler.onChange(() => (together = Math.max(together, t.scheduler.snapshot().tasks.filter((x) => x.state === 'running').length)));
  for (const [i, task] of tasks.entries()) {
    const r = result(await t.outcome(task.id));
    near(floats(r), referenceMatMul(inputs[i]!.x, small.weights, inputs[i]!.rows, 8, 5));
    assert.equal(r.accounting.operations, 2 * inputs[i]!.rows * 8 * 5);
  }
  assert.ok(together > 1, `tasks ran together in one batch (max ${together})`);
});

test('recycles big tensor buffers on both sides of the pipe without mixing tasks up', LIMIT, async (ctx) => {
  // 128 KB inputs and outputs (pooled from 64 KB), three jobs in flight in the host at once, twice over.
  const wide = matMulModel({ rows: 'batch', inner: 512, cols: 512 });
  const ref = server.add('wide', wide.bytes);
  const t = await open(ctx, { maxBatch: 1 });
  t.scheduler.apply(decided('cpu', go()));
  const inputs = Array.from({ length: 8 }, (_, i) => seededFloats(64 * 512, 200 + i));
  const tasks = inputs.map((x) => matmulTask(ref, x, [64, 512]));
  t.source.offer(...tasks);
  for (const [i, task] of tasks.entries())
    near(floats(result(await t.outcome(task.id))), referenceMatMul(inputs[i]!, wide.weights, 64, 512, 512));
});

test('runs a model whose output shape depends on the data (no preallocated output can fit)', LIMIT, async (ctx) => {
  // NonZero: X [8] -> Y int64 [1, count of non-zeros]. The second task has the same input shape, fewer non-zeros.
  const nonZero = encodeModel({
    nodes: [{ op: 'NonZero', inputs: ['X'], outputs: ['Y'] }],
    inputs: [{ name: 'X', dtype: 'float32', shape: [8] }],
    outputs: [{ name: 'Y', dtype: 'int64', shape: [1, 'n'] }],
  });
  const ref = server.add('nonzero', nonZero);
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go()));
  for (const x of [
    [0, 1, 0, 2, 3, 0, 0, 4],
    [5, 0, 0, 0, 0, 0, 6, 0],
    [0, 0, 0, 7, 0, 0, 0, 0],
  ]) {
    const task = matmulTask(ref, Float32Array.from(x), [8]);
    t.source.offer(task);
    const y = result(await t.outcome(task.id)).outputs['Y']!;
    const b = new Uint8Array(y.data);
    const want = x.flatMap((v, i) => (v ? [i] : []));
    assert.deepEqual(y.shape, [1, want.length]);
    assert.deepEqual([...new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8)].map(Number), want);
  }
});

test('preempts lower-priority work for an urgent task, then resumes it intact', LIMIT, async (ctx) => {
  const { t, expected, task: low } = await slowTaskRunning(ctx, {}, { priority: 1 });
  const x = seededFloats(8, 3);
  const urgent = matmulTask(smallRef, x, [1, 8], { priority: 9 });
  t.source.offer(urgent);
  await until(t.scheduler, () => stateOf(t.scheduler, low.id) === 'suspended');
  near(floats(result(await t.outcome(urgent.id))), referenceMatMul(x, small.weights, 1, 8, 5));
  near(floats(result(await t.outcome(low.id))), expected);
  const order = t.outcomes.map((o) => (o.kind === 'result' ? o.result.taskId : o.taskId));
  assert.ok(order.indexOf(urgent.id) < order.indexOf(low.id));
});

test('cancels a queued and a running task without reporting either, and carries on', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go()));
  const runningTask = matmulTask(slowRef, slowX, [1024, 512]);
  const queuedTask = matmulTask(smallRef, seededFloats(8), [1, 8], { priority: 0 });
  t.source.offer(runningTask);
  await until(t.scheduler, () => stateOf(t.scheduler, runningTask.id) === 'running');
  t.source.offer(queuedTask);
  await until(t.scheduler, () => stateOf(t.scheduler, queuedTask.id) !== undefined); // leased
  t.scheduler.cancel(queuedTask.id);
  t.scheduler.cancel(runningTask.id);
  await until(t.scheduler, () => t.scheduler.snapshot().tasks.length === 0);
  await check(t);
  assert.deepEqual(
    t.outcomes.filter((o) => o.kind === 'release' || [runningTask.id, queuedTask.id].includes(o.result.taskId)),
    [],
  );
});

test("a lane that lists 'cpu' after a missing GPU provider falls back inside its job host and says why", LIMIT, async (ctx) => {
  const t = await open(ctx, { devices: [{ id: 'gpu0', kind: 'gpu', providers: ['cuda', 'cpu'] }] });
  t.scheduler.apply(decided('gpu0', go({ vramBudgetMiB: 256 })));
  const x = seededFloats(16, 4);
  const task = matmulTask(smallRef, x, [2, 8], { device: 'gpu' });
  t.source.offer(task);
  const r = result(await t.outcome(task.id));
  near(floats(r), referenceMatMul(x, small.weights, 2, 8, 5));
  assert.equal(r.accounting.device, 'gpu0/cpu');
  const notice = t.scheduler.snapshot().lanes[0]!.notice ?? '';
  assert.match(notice, /^cuda not usable here \(.+\); running on CPU$/);
  assert.ok(t.ports.logger.lines.some((l) => l.startsWith('warn device gpu0: cuda not usable')));
  t.scheduler.apply(decided('gpu1', go())); // decided by the policy, but no lane: said once, ignored
  t.scheduler.apply(decided('gpu1', go()));
  assert.equal(t.ports.logger.lines.filter((l) => l.includes('no job lane for device gpu1')).length, 1);
  const cpuOnly = matmulTask(smallRef, x, [2, 8], { device: 'cpu' });
  t.source.offer(cpuOnly);
  const refused = release(await t.outcome(cpuOnly.id));
  assert.equal(refused.reason, 'invalid-task', 'no CPU lane configured');
  assert.equal(refused.message, 'no cpu device here');
});

// This machine has no GPU, no CUDA libraries and no Vulkan: both providers fail when the model loads.
test(
  'takes a GPU lane whose providers fail here out of service: its GPU tasks go back, the processor leases processor work, and the user is told',
  LIMIT,
  async (ctx) => {
    const gpu = { id: 'GPU-1', name: 'Fake RTX', kind: 'gpu' as const, providers: ['cuda' as const, 'webgpu' as const] };
    const t = await open(ctx, { devices: [gpu, { id: 'cpu', kind: 'cpu', providers: ['cpu'] }] });
    t.scheduler.apply(decided('GPU-1', go()));
    t.scheduler.apply(decided('cpu', go()));
    const x = seededFloats(16, 5);
    const [gpuTask, anyTask] = [matmulTask(smallRef, x, [2, 8], { device: 'gpu' }), matmulTask(smallRef, x, [2, 8], { device: 'any' })];
    t.source.offer(gpuTask!, anyTask!);
    // Leased as GPU work it is paid as GPU work, so it never runs on the processor: it goes back (docs/protocol.md, "Leases").
    const back = release(await t.outcome(gpuTask!.id));
    assert.equal(back.reason, 'runtime-error');
    assert.match(back.message, /^no gpu device here can run it: cuda not usable here/);
    const done = result(await t.outcome(anyTask!.id));
    near(floats(done), referenceMatMul(x, small.weights, 2, 8, 5));
    assert.equal(done.accounting.device, 'cpu/cpu');
    assert.equal(t.source.asked[0], 'gpu', 'GPU work while the GPU lane was in service');
    const cpuTask = matmulTask(smallRef, x, [2, 8], { device: 'cpu' });
    t.source.offer(cpuTask);
    assert.equal(result(await t.outcome(cpuTask.id)).accounting.device, 'cpu/cpu');
    await t.source.leaseOpen();
    assert.equal(t.source.asked.at(-1), 'cpu', 'with no GPU left, the next lease asks for processor work');
    const lane = t.scheduler.snapshot().lanes[0]!;
    assert.match(
      lane.notice ?? '',
      /^Fake RTX: cuda not usable here \(.+\); webgpu not usable here \(.+\); its tasks go back to the network and the processor takes processor work instead, within the CPU limits$/,
    );
    assert.doesNotMatch(lane.notice!, /\.cc:\d+/, "onnxruntime's source locations are cut off: the user gets the reason");
    await until(t.scheduler, () => t.scheduler.snapshot().lanes[0]!.pids.length === 0); // its job host is gone
    assert.equal(t.ports.logger.lines.filter((l) => l.startsWith('warn device GPU-1: Fake RTX:')).length, 1, 'said once');
    await t.scheduler.close();

    // With no processor lane to fall back on, the GPU's tasks go back to the network, with the reason.
    const alone = await open(ctx, { devices: [gpu] });
    alone.scheduler.apply(decided('GPU-1', go()));
    const task = matmulTask(smallRef, x, [2, 8], { device: 'gpu' });
    alone.source.offer(task);
    const r = release(await alone.outcome(task.id));
    assert.equal(r.reason, 'runtime-error');
    assert.match(r.message, /^no gpu device here can run it: cuda not usable here \(.+\); webgpu not usable here/);
    assert.match(alone.scheduler.snapshot().lanes[0]!.notice ?? '', /its tasks go back to the network$/);
  },
);

test('paces runs on a GPU lane to its duty cycle (a GPU cannot be stopped mid-kernel)', LIMIT, async (ctx) => {
  const t = await open(ctx, { devices: [{ id: 'gpu0', kind: 'gpu', providers: ['cpu'] }] });
  t.scheduler.apply(decided('gpu0', go({ dutyCycle: 0.25, vramBudgetMiB: 512 })));
  const first = matmulTask(slowRef, seededFloats(64 * 512, 1), [64, 512], { device: 'gpu' });
  const second = matmulTask(slowRef, seededFloats(64 * 512, 2), [64, 512], { device: 'gpu' });
  t.source.offer(first, second);
  const r1 = result(await t.outcome(first.id));
  assert.equal(stateOf(t.scheduler, second.id), 'queued', 'the next run waits out the idle part of the cycle');
  result(await t.outcome(second.id));
  // Both times taken inside the scheduler's steps: the first before it set the pause, the second after the pause and
  // the run, so a test woken late on a loaded machine measures no shorter a pause than the scheduler kept.
  const gap = (t.deliveredAt.get(second.id) ?? 0) - (t.deliveredAt.get(first.id) ?? Number.POSITIVE_INFINITY);
  assert.ok(gap >= 3 * r1.accounting.wallMs, `idle for at least 3x the run at 25%: ${gap} ms after a run of ${r1.accounting.wallMs} ms`);
});

test('meters a job to its duty cycle by stopping and continuing it', LIMIT, async (ctx) => {
  const t = await open(ctx);
  t.scheduler.apply(decided('cpu', go({ dutyCycle: 0.3 })));
  const task = matmulTask(slowRef, slowX, [1024, 512]);
  let changes = 0;
  t.scheduler.onChange(() => changes++);
  t.source.offer(task);
  const r = result(await t.outcome(task.id));
  assert.ok(r.accounting.cpuMs < r.accounting.wallMs * 0.6, `cpu ${r.accounting.cpuMs} ms of ${r.accounting.wallMs} ms wall`);
  // The meter stops and continues the job every few 10 ms ticks; listeners hear transitions and ~1 progress/s.
  assert.ok(changes < 10 + r.accounting.wallMs / 500, `${changes} change events in ${Math.round(r.accounting.wallMs)} ms`);
});
