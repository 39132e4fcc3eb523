/**
 * Job host: a child process the agent forks per device lane. Its main thread talks to the agent; a worker thread
 * owns the onnxruntime sessions, because session.run blocks its thread and the next task's bytes should arrive
 * while the current one computes. The agent suspends, throttles or kills this whole process; it never runs models
 * in its own.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Socket, type ConnectOpts, type SocketConstructorOpts } from 'node:net';
import { parentPort, isMainThread, Worker } from 'node:worker_threads';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { DTYPE_BYTES, DTypeSchema, type DType } from '../../common/task.js';
import { SerialQueue } from '../../common/serial.js';
import {
  HostRequestSchema,
  tensorBuffers,
  type HostErrorCode,
  type HostMessage,
  type HostTensor,
  type Provider,
  type RunRequest,
} from './host-protocol.js';
import { BufferPool, encodeFrame, FrameReader, SPILL_MIN_BYTES } from './frames.js';
import { countOperations, readModelGraph, type ModelGraph } from './model-graph.js';
import { lowerThisThread } from './process-control.js';
import { dieWithAgent, exitWithAgent } from './parent-death.js';
import { executionProviders, firstLine } from './providers.js';

class HostError extends Error {
  constructor(
    readonly code: HostErrorCode,
    message: string,
  ) {
    super(message);
  }
}

if (isMainThread) startMain();
else await startWorker();

/**
 * Between the threads, one message each way per job (each one wakes a thread that may preempt a compute thread):
 * a job goes in with the output buffers already written out, and its end comes back with its input buffers.
 */
interface ToWorker {
  req: RunRequest;
  recycle: ArrayBuffer[];
}
interface FromWorker {
  message: HostMessage;
  recycle: ArrayBuffer[];
}

function startMain(): void {
  // Before anything else: a host must not outlive its agent (see parent-death.ts).
  if (dieWithAgent() === 'parent-gone') process.exit(0);
  const self = new URL(import.meta.url);
  // Run from source (tests), the worker must register tsx itself: Node 20 workers do not get --import loaders.
  const worker = self.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); });`, { eval: true })
    : new Worker(self);
  const inputs = new BufferPool();
  const spillDir = process.argv[3]; // from the agent (host.ts), where there is a RAM file system
  const spill = spillDir === undefined ? undefined : { dir: spillDir, minBytes: SPILL_MIN_BYTES };
  const reader = new FrameReader(onRequest, (n) => inputs.take(n), spillDir);
  // The kernel copies each request's tensor bytes straight into the buffer the worker will run on (see host.ts for fd 4).
  // (Node takes onread in the constructor; @types/node 20 lists it under connect() only.)
  const options: SocketConstructorOpts & ConnectOpts = {
    fd: 4,
    readable: true,
    writable: true,
    onread: { buffer: () => reader.target(), callback: (n) => (reader.advance(n), true) },
  };
  const pipe = new Socket(options);
  let written: ArrayBuffer[] = []; // output buffers sent out, going back to the worker with the next job
  const send = (m: HostMessage): void => {
    const parts = encodeFrame(m, spill);
    const sent = (): void => {
      if (m.type === 'done') written.push(...tensorBuffers(m.outputs));
    };
    parts.forEach((part, i) => pipe.write(part, i === parts.length - 1 ? sent : undefined));
  };
  // Jobs handed to the worker, in the order it runs them: one starts as the one before it ends.
  const queued: string[] = [];
  // A dead worker leaves sessions in an unknown state: exit and let the agent restart us.
  worker.on('error', (e) => {
    process.stderr.write(`job host worker failed: ${e.stack ?? String(e)}\n`);
    process.exit(70);
  });
  worker.on('exit', () => process.exit(70));
  worker.on('message', ({ message, recycle }: FromWorker) => {
    inputs.give(recycle);
    send(message);
    if (message.type !== 'done' && message.type !== 'failed') return;
    queued.shift();
    if (queued[0] !== undefined) send({ type: 'started', jobId: queued[0] });
  });
  exitWithAgent(pipe);
  function onRequest(raw: unknown): void {
    const parsed = HostRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const jobId = typeof raw === 'object' && raw && 'jobId' in raw ? String(raw.jobId) : '';
      send({ type: 'failed', jobId, code: 'bad-request', message: parsed.error.message.slice(0, 500) });
      return;
    }
    if (parsed.data.type === 'shutdown') process.exit(0);
    const req = parsed.data;
    queued.push(req.jobId);
    if (queued.length === 1) send({ type: 'started', jobId: req.jobId });
    const recycle = written;
    written = [];
    // Feeds may share one buffer (small tensors from one pool): each buffer is transferred once.
    worker.postMessage({ req, recycle } satisfies ToWorker, [...tensorBuffers(req.feeds), ...recycle]);
  }
}

async function startWorker(): Promise<void> {
  const port = parentPort!;
  // Before onnxruntime starts its threads, which inherit this thread's priority.
  lowerThisThread(process.argv[2] === 'low' ? 'low' : 'idle');
  const ort = await import('onnxruntime-node');
  const post = (message: HostMessage, transfer: ArrayBuffer[] = [], recycle: ArrayBuffer[] = []): void =>
    port.postMessage({ message, recycle } satisfies FromWorker, [...transfer, ...recycle]);
  interface Warm {
    session: InferenceSession;
    graph: ModelGraph;
    provider: string;
    /** Tensor outputs whose element type results can carry: what can be preallocated. */
    outputTypes: Map<string, DType>;
    /** Output shapes seen per input shapes: the next run of the same shapes writes into pooled buffers. */
    outputShapes: Map<string, Record<string, number[]>>;
    /** Operations per input shapes (following a 500-node graph takes ~1 ms). */
    operations: Map<string, number>;
  }
  const outputs = new BufferPool();
  const sessions = new Map<string, Warm>();

  async function open(req: RunRequest): Promise<Warm> {
    const key = JSON.stringify([req.sha256, req.session]);
    const warm = sessions.get(key);
    if (warm) {
      sessions.delete(key); // re-insert: Map order is the LRU order
      sessions.set(key, warm);
      return warm;
    }
    const started = performance.now();
    let bytes: Buffer;
    try {
      bytes = readFileSync(req.modelPath);
    } catch (e) {
      // Gone from the cache behind the agent's back (it trusts a recent check): the agent fetches it again.
      throw new HostError('model-corrupt', `model file unreadable: ${firstLine(e)}`);
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== req.sha256) throw new HostError('model-corrupt', `model bytes hash to ${actual}, expected ${req.sha256}`);
    let graph: ModelGraph;
    try {
      graph = readModelGraph(bytes);
    } catch (e) {
      throw new HostError('model-invalid', `not an ONNX model: ${firstLine(e)}`);
    }
    const options = (providers: Provider[]): InferenceSession.SessionOptions => ({
      executionProviders: executionProviders({ ...req.session, providers }),
      intraOpNumThreads: req.session.threads,
      interOpNumThreads: 1,
      // No spinning: a pool thread waiting for work (or for a sibling the agent's work preempted) burns its core; at
      // 2 threads a 1024² MatMul took 14 ms of CPU a run with spinning, 11 ms without, and 34 ms more after each run.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    // onnxruntime throws instead of falling back when a listed provider is missing: try them one by one.
    const skipped: string[] = [];
    let opened: { session: InferenceSession; provider: Provider } | undefined;
    let why = '';
    for (const provider of req.session.providers) {
      try {
        opened = { session: await ort.InferenceSession.create(bytes, options([provider])), provider };
        break;
      } catch (e) {
        why = firstLine(e);
        skipped.push(`${provider} not usable here (${why})`);
      }
    }
    if (!opened) {
      if (req.session.providers.includes('cpu')) throw new HostError('model-invalid', `onnxruntime rejected the model: ${why}`);
      // A GPU lane never runs on the CPU (that would escape the CPU share); whose fault is it, the model's or the GPU's?
      try {
        await (await ort.InferenceSession.create(bytes, options(['cpu']))).release();
      } catch (e) {
        throw new HostError('model-invalid', `onnxruntime rejected the model: ${firstLine(e)}`);
      }
      throw new HostError('provider-unavailable', skipped.join('; '));
    }
    const { session, provider } = opened;
    const fallback = skipped.length ? `${skipped.join('; ')}; running on ${provider === 'cpu' ? 'CPU' : provider}` : undefined;
    const outputTypes = new Map(
      session.outputMetadata.flatMap((m) => {
        const dtype = m.isTensor ? DTypeSchema.safeParse(m.type).data : undefined;
        return dtype ? [[m.name, dtype] as const] : [];
      }),
    );
    const loaded: Warm = { session, graph, provider, outputTypes, outputShapes: new Map(), operations: new Map() };
    sessions.set(key, loaded);
    for (const [k, old] of sessions) {
      if (sessions.size <= req.session.warmSessions) break;
      sessions.delete(k);
      await old.session.release();
    }
    post({
      type: 'loaded',
      jobId: req.jobId,
      sha256: req.sha256,
      provider,
      ...(fallback ? { fallback } : {}),
      batchable: graph.batchable,
      loadMs: performance.now() - started,
    });
    return loaded;
  }

  function feedsFor(warm: Warm, req: RunRequest): Record<string, OrtTensor> {
    const wanted = new Map(warm.session.inputMetadata.map((m) => [m.name, m]));
    for (const name of Object.keys(req.feeds))
      if (!wanted.has(name))
        throw new HostError('bad-input', `the model has no input "${name}" (inputs: ${[...wanted.keys()].join(', ')})`);
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, meta] of wanted) {
      const t = req.feeds[name];
      if (!t) throw new HostError('bad-input', `missing input "${name}"`);
      if (meta.isTensor) {
        if (meta.type !== t.dtype) throw new HostError('bad-input', `input "${name}": expected ${meta.type}, got ${t.dtype}`);
        const fits = meta.shape.length === t.shape.length && meta.shape.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
        if (!fits)
          throw new HostError('bad-input', `input "${name}": expected shape [${meta.shape.join(', ')}], got [${t.shape.join(', ')}]`);
      }
      feeds[name] = new ort.Tensor(t.dtype, typedView(t), t.shape);
    }
    return feeds;
  }

  /** Pooled output tensors, when this model gave these input shapes a fixed output shape before. */
  function preallocated(warm: Warm, shapesKey: string, names: string[]): Record<string, HostTensor> | undefined {
    const shapes = warm.outputShapes.get(shapesKey);
    if (!shapes || names.some((n) => !shapes[n] || !warm.outputTypes.has(n))) return undefined;
    return Object.fromEntries(
      names.map((n) => {
        const dtype = warm.outputTypes.get(n)!;
        const shape = shapes[n]!;
        return [n, { dtype, shape, data: outputs.take(shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype]) }];
      }),
    );
  }

  async function compute(
    warm: Warm,
    req: RunRequest,
    feeds: Record<string, OrtTensor>,
    shapesKey: string,
  ): Promise<Record<string, HostTensor>> {
    const into = preallocated(warm, shapesKey, req.outputs);
    try {
      if (into) {
        const fetches = Object.fromEntries(Object.entries(into).map(([n, t]) => [n, new ort.Tensor(t.dtype, typedView(t), t.shape)]));
        await warm.session.run(feeds, fetches);
        return into;
      }
      const results = await warm.session.run(feeds, req.outputs);
      const out = Object.fromEntries(req.outputs.map((name) => [name, hostTensor(name, results[name] as OrtTensor)]));
      remember(warm.outputShapes, shapesKey, Object.fromEntries(Object.entries(out).map(([n, t]) => [n, t.shape])));
      return out;
    } catch (e) {
      if (e instanceof HostError) throw e;
      if (!into) throw new HostError('run-failed', `onnxruntime failed: ${firstLine(e)}`);
      // The output shape depends on the data after all: let onnxruntime allocate from now on.
      warm.outputShapes.delete(shapesKey);
      outputs.give(tensorBuffers(into));
      return compute(warm, req, feeds, shapesKey);
    }
  }

  async function run(req: RunRequest): Promise<void> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    resetPeakRss();
    try {
      const warm = await open(req);
      const feeds = feedsFor(warm, req);
      const missing = req.outputs.filter((o) => !warm.session.outputNames.includes(o));
      if (missing.length) throw new HostError('bad-input', `the model has no output ${missing.map((m) => `"${m}"`).join(', ')}`);
      const feedShapes = Object.fromEntries(Object.entries(req.feeds).map(([n, t]) => [n, t.shape]));
      const shapesKey = JSON.stringify(feedShapes);
      const out = await compute(warm, req, feeds, shapesKey);
      const used = process.cpuUsage(cpu);
      const operations = warm.operations.get(shapesKey) ?? remember(warm.operations, shapesKey, countOperations(warm.graph, feedShapes));
      post(
        {
          type: 'done',
          jobId: req.jobId,
          outputs: out,
          accounting: {
            wallMs: performance.now() - started,
            cpuMs: (used.user + used.system) / 1000,
            peakRssBytes: peakRss(),
            operations,
            provider: warm.provider,
          },
        },
        tensorBuffers(out),
        tensorBuffers(req.feeds),
      );
    } catch (e) {
      const code = e instanceof HostError ? e.code : 'run-failed';
      post({ type: 'failed', jobId: req.jobId, code, message: firstLine(e) }, [], tensorBuffers(req.feeds));
    }
  }

  // One job at a time, in arrival order; the next request waits here while this one computes.
  const jobs = new SerialQueue();
  port.on('message', ({ req, recycle }: ToWorker) => {
    outputs.give(recycle);
    void jobs.run(() => run(req)); // parsed by the main thread; run() reports its own failures
  });
}

/** Per-shape memo; a task stream of ever new shapes must not grow it without end. */
function remember<T>(memo: Map<string, T>, key: string, value: T): T {
  if (memo.size >= 256) memo.clear();
  memo.set(key, value);
  return value;
}

type Typed = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array | Uint16Array;
function typedView(t: HostTensor): Typed {
  const size = DTYPE_BYTES[t.dtype];
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.byteLength !== count * size)
    throw new HostError('bad-input', `tensor of shape [${t.shape.join(', ')}] needs ${count * size} bytes, got ${t.data.byteLength}`);
  // Typed views need aligned offsets; a copy is cheaper than a wrong answer.
  const d = t.data.byteOffset % size ? new Uint8Array(t.data) : t.data;
  const make = {
    float32: Float32Array,
    float16: Uint16Array,
    int8: Int8Array,
    uint8: Uint8Array,
    bool: Uint8Array,
    int32: Int32Array,
    int64: BigInt64Array,
  }[t.dtype];
  return new make(d.buffer as ArrayBuffer, d.byteOffset, count);
}

function hostTensor(name: string, t: OrtTensor | undefined): HostTensor {
  if (!t) throw new HostError('run-failed', `output "${name}" missing`);
  const dtype = DTypeSchema.safeParse(t.type);
  if (!dtype.success) throw new HostError('run-failed', `output "${name}" has type ${t.type}, which results cannot carry`);
  const data = t.data as Typed;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // A view into a shared slab (small outputs) must not take the slab with it when transferred.
  return { dtype: dtype.data as DType, shape: [...t.dims], data: view.byteLength === data.buffer.byteLength ? view : view.slice() };
}

// Linux: writing 5 to clear_refs resets VmHWM, so the peak is this job's. Elsewhere: the process's lifetime peak.
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux
  }
}
function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
