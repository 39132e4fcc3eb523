/**
 * The job host's worker thread: runs one job at a time on a warm onnxruntime session (host-sessions.ts) and reports
 * each job's outputs and accounting.
 */
import { openSync, readSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { DTYPE_BYTES, DTypeSchema } from '../../common/task.js';
import { SerialQueue } from '../../common/serial.js';
import { failureOf } from '../../common/coded-error.js';
import { errorText } from '../../common/result.js';
import { tensorBuffers, type HostMessage, type HostTensor, type ReadyRequest } from './host-protocol.js';
import { WarmSessions, type Ort, type Warm } from './host-sessions.js';
import { HostError, type FromWorker, type ToWorker } from './host-threads.js';
import { countOperations } from '../onnx/model-graph.js';
import { lowerThisThread } from './process-control.js';
import { firstLine } from './providers.js';

type Post = (message: HostMessage, transfer?: ArrayBuffer[], recycle?: ArrayBuffer[]) => void;

class JobRunner {
  private readonly sessions: WarmSessions;
  private readonly peak = new PeakRss();

  constructor(
    private readonly ort: Ort,
    private readonly post: Post,
  ) {
    this.sessions = new WarmSessions(ort, (message) => post(message));
  }

  private feedsFor(warm: Warm, req: ReadyRequest): Record<string, OrtTensor> {
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
      feeds[name] = new this.ort.Tensor(t.dtype, typedView(t), t.shape);
    }
    return feeds;
  }

  /**
   * No preallocated outputs: onnxruntime-node (1.30) copies every output into a new ArrayBuffer even when handed one
   * to write into, so a pooled buffer would only be one more 4 MB written per run; the copy it makes is what goes out.
   */
  private async compute(warm: Warm, req: ReadyRequest, feeds: Record<string, OrtTensor>): Promise<Record<string, HostTensor>> {
    let results: Awaited<ReturnType<typeof warm.session.run>>;
    try {
      results = await warm.session.run(feeds, req.outputs);
    } catch (e) {
      throw new HostError('run-failed', `onnxruntime failed: ${firstLine(e)}`);
    }
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the session's outputs by name; hostTensor checks each is there and of a type results carry
    return Object.fromEntries(req.outputs.map((name) => [name, hostTensor(name, results[name] as OrtTensor)]));
  }

  async run(req: ReadyRequest): Promise<void> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    this.peak.reset();
    try {
      const warm = await this.sessions.open(req);
      const feeds = this.feedsFor(warm, req);
      const missing = req.outputs.filter((o) => !warm.session.outputNames.includes(o));
      if (missing.length) throw new HostError('bad-input', `the model has no output ${missing.map((m) => `"${m}"`).join(', ')}`);
      const feedShapes = Object.fromEntries(Object.entries(req.feeds).map(([n, t]) => [n, t.shape]));
      const shapesKey = JSON.stringify(feedShapes);
      const out = await this.compute(warm, req, feeds);
      const used = process.cpuUsage(cpu);
      const operations = warm.operations.get(shapesKey) ?? remember(warm.operations, shapesKey, countOperations(warm.graph, feedShapes));
      this.post(
        {
          type: 'done',
          jobId: req.jobId,
          outputs: out,
          accounting: {
            wallMs: performance.now() - started,
            cpuMs: (used.user + used.system) / 1000,
            peakRssBytes: this.peak.read(),
            operations,
            provider: warm.provider,
          },
        },
        tensorBuffers(out),
        tensorBuffers(req.feeds),
      );
    } catch (e) {
      const { code, message } = failureOf(e, [HostError], (other) => ({ code: 'run-failed', message: errorText(other) }));
      this.post({ type: 'failed', jobId: req.jobId, code, message: firstLine(message) }, [], tensorBuffers(req.feeds));
    }
  }
}

export async function startWorker(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the worker's parent is the job host's main thread, always there
  const port = parentPort!;
  // Before onnxruntime starts its threads, which inherit this thread's priority.
  lowerThisThread(process.argv[2] === 'low' ? 'low' : 'idle');
  const runner = new JobRunner(await import('onnxruntime-node'), (message, transfer = [], recycle = []) =>
    port.postMessage({ message, recycle } satisfies FromWorker, [...transfer, ...recycle]),
  );
  // One job at a time, in arrival order; the next request waits here while this one computes.
  const jobs = new SerialQueue();
  port.on('message', ({ req }: ToWorker) => {
    void jobs.run(() => runner.run(req)); // parsed by the main thread; run() reports its own failures
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
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a job's tensors are never on a SharedArrayBuffer
  return new make(d.buffer as ArrayBuffer, d.byteOffset, count);
}

function hostTensor(name: string, t: OrtTensor | undefined): HostTensor {
  if (!t) throw new HostError('run-failed', `output "${name}" missing`);
  const dtype = DTypeSchema.safeParse(t.type);
  if (!dtype.success) throw new HostError('run-failed', `output "${name}" has type ${t.type}, which results cannot carry`);
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a tensor of a type results carry (checked above) holds a typed array
  const data = t.data as Typed;
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // A view into a shared slab (small outputs) must not take the slab with it when transferred.
  return { dtype: dtype.data, shape: [...t.dims], data: view.byteLength === data.buffer.byteLength ? view : view.slice() };
}

/**
 * A job's peak memory. Linux: writing 5 to clear_refs resets VmHWM, so the peak read after is this job's; both files
 * stay open, so a job's reading is two syscalls instead of seven. Elsewhere: the process's lifetime peak.
 */
class PeakRss {
  private readonly status = Buffer.alloc(4096);
  private readonly files = openProcFiles();

  reset(): void {
    if (this.files) writeSync(this.files.clearRefs, '5');
  }

  read(): number {
    if (this.files) {
      const n = readSync(this.files.status, this.status, 0, this.status.length, 0);
      const kb = /VmHWM:\s+(\d+)/.exec(this.status.toString('latin1', 0, n))?.[1];
      if (kb) return Number(kb) * 1024;
    }
    return process.resourceUsage().maxRSS * 1024;
  }
}

function openProcFiles(): { clearRefs: number; status: number } | undefined {
  try {
    return { clearRefs: openSync('/proc/self/clear_refs', 'w'), status: openSync('/proc/self/status', 'r') };
  } catch {
    return undefined; // not Linux
  }
}
