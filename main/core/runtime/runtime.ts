import { createHash } from 'node:crypto';
import { byText } from '../../common/text.js';
import { fail, ok, type Result } from '../../common/result.js';
import { DTYPE_BYTES, type ReleaseReason, type Task, type Tensor } from '../../common/task.js';
import type { Clock, Logger } from '../ports.js';
import { BufferPool, sweepSpillFolders } from './frames.js';
import { isInputRef, tensorBuffers, type HostFeed, type HostTensor } from './host-protocol.js';
import { defaultHostEntry, JobHost, type HostEntry } from './host.js';
import { isLoopbackHost } from '../network/public-address.js';
import { ModelCache, NOT_WANTED, type ModelCacheOptions } from './model-cache.js';

export interface RuntimeOptions {
  cacheDir: string;
  /** The disk budget for downloaded models (Settings), read at each download. */
  cacheCapBytes?: number | (() => number);
  /**
   * Memory the user shares: inputs sent by URL are held in the job host (which fetches them) from the time their task
   * is prepared, so all prepared tasks' together stay within it. Unbounded when left out.
   */
  memoryBudgetBytes?: () => number;
  clock: Clock;
  logger: Logger;
  hostEntry?: HostEntry;
  /**
   * The coordinator whose tasks are prepared (null: none yet). Unless it is on this machine (the devnet), its model and
   * input URLs may reach only public addresses: a coordinator must not probe the user's network through the agent.
   */
  coordinatorUrl: () => string | null;
  /** Measures the link from model downloads (shared with the network client, which registers its figures). */
  meter?: ModelCacheOptions['meter'];
}

/** A task made ready to run: model on disk (pinned in the cache), inputs as bytes or for the job host to fetch. */
export interface PreparedTask {
  task: Task;
  modelPath: string;
  feeds: Record<string, HostFeed>;
  /** Length of the first axis shared by every input, when there is one: what micro-batching stacks along. */
  rows: number | undefined;
  /** The task is over: unpins its model and recycles its input buffers (the host has read them by then). */
  release(): void;
}

/** A task ready to run, or why not (the reason it goes back to the network). */
export type Prepared = Result<PreparedTask, ReleaseReason>;

export interface Runtime {
  cache: ModelCache;
  /** `signal`: the task went away (released, cancelled, its coordinator replaced): its downloads stop, if no other task shares them. */
  prepare(task: Task, signal: AbortSignal): Promise<Prepared>;
  spawnHost(priority: 'idle' | 'low', onExit: (host: JobHost) => void): JobHost;
}

export function createRuntime(o: RuntimeOptions): Runtime {
  sweepSpillFolders();
  const publicOnly = (): boolean => {
    const url = o.coordinatorUrl();
    return url === null || !isLoopbackHost(new URL(url).hostname);
  };
  const cache = new ModelCache({
    dir: o.cacheDir,
    capBytes: o.cacheCapBytes ?? 8 * 1024 ** 3,
    clock: o.clock,
    logger: o.logger,
    publicOnly,
    ...(o.meter ? { meter: o.meter } : {}),
  });
  const entry = o.hostEntry ?? defaultHostEntry();
  const inputs = new InputBudget(o.memoryBudgetBytes ?? (() => Number.POSITIVE_INFINITY));

  // Input and output tensor buffers are recycled (frames.ts BufferPool): steady work allocates no big buffers.
  const pool = new BufferPool(8);

  /**
   * An input as the job host gets it, or why not: one sent in the task that is wrong is the task's fault, one sent by
   * URL the download's. One sent as bytes (a lease reply's frame) is used where it lies, hashed once and never copied:
   * it is the task's, so it stays as it is for a second preparation, and only buffers taken from the pool go back to
   * it. One sent by URL is fetched by the job host itself (input-fetch.ts): its bytes never pass through here.
   */
  function hostFeed(name: string, t: Tensor): Result<HostFeed, ReleaseReason> {
    const want = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    const refused = (message: string) => fail(t.kind === 'url' ? 'model-unavailable' : 'invalid-task', message);
    const wrongSize = (got: number) =>
      refused(`input "${name}": shape [${t.shape.join(', ')}] of ${t.dtype} needs ${want} bytes, got ${got}`);
    if (t.kind === 'bytes') {
      if (t.data.byteLength !== want) return wrongSize(t.data.byteLength);
      const actual = createHash('sha256').update(t.data).digest('hex');
      if (actual !== t.sha256) return refused(`input "${name}": its bytes hash to ${actual}, the task says ${t.sha256}`);
      return ok({ dtype: t.dtype, shape: t.shape, data: t.data });
    }
    if (t.kind === 'inline') {
      // The schema checks only the length; the characters are checked here, by decoding: each bad one is skipped.
      const length = Buffer.byteLength(t.data, 'base64');
      if (length !== want) return wrongSize(length);
      const data = pool.take(want);
      if (Buffer.from(data.buffer, 0, want).write(t.data, 'base64') !== want) {
        // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the pool's buffers are never a SharedArrayBuffer
        pool.give([data.buffer as ArrayBuffer]);
        return refused(`input "${name}": not valid base64`);
      }
      return ok({ dtype: t.dtype, shape: t.shape, data });
    }
    // Checked before the first byte: a size that does not fit the shape is refused without downloading anything.
    if (t.size !== want) return wrongSize(t.size);
    return ok({ dtype: t.dtype, shape: t.shape, url: t.url, sha256: t.sha256, size: t.size, publicOnly: publicOnly() });
  }

  return {
    cache,
    spawnHost: (priority, onExit) => new JobHost(entry, o.logger, priority, onExit, pool),
    async prepare(task, signal) {
      const feeds: Record<string, HostFeed> = {};
      /** The feeds whose buffers came from the pool: they go back to it. */
      const pooled: Record<string, HostTensor> = {};
      const byUrl = Object.values(task.inputs).reduce((n, t) => n + (t.kind === 'url' ? t.size : 0), 0);
      const taken = await inputs.take(byUrl, signal);
      if (!taken.ok) return taken;
      const held = taken.value;
      const refuse = (reason: ReleaseReason, message: string): Prepared => {
        pool.give(tensorBuffers(pooled));
        held();
        return fail(reason, message);
      };
      for (const [name, t] of Object.entries(task.inputs)) {
        const h = hostFeed(name, t);
        if (!h.ok) return refuse(h.error.code, h.error.message);
        feeds[name] = h.value;
        if (t.kind === 'inline' && !isInputRef(h.value)) pooled[name] = h.value;
      }
      const model = await cache.ensure(task.model, signal);
      if (!model.ok) return refuse('model-unavailable', model.error.message);
      const unpin = cache.pin(task.model.sha256);
      let released = false;
      const firstAxes = new Set(Object.values(feeds).map((f) => f.shape[0]));
      // A task with zero rows is not stacked: its share of a batch would be 0/0 and its accounting NaN.
      const [rows] = [...firstAxes].filter((n) => n !== 0);
      return {
        ok: true,
        value: {
          task,
          modelPath: model.value,
          feeds,
          rows: firstAxes.size === 1 ? rows : undefined,
          release: () => {
            if (released) return; // a second give would hand the buffers to two tasks
            released = true;
            unpin();
            pool.give(tensorBuffers(pooled));
            held();
          },
        },
      };
    },
  };
}

/** Bytes of inputs sent by URL that prepared tasks hold: a task waits (preparing) until its inputs fit. */
class InputBudget {
  private held = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(private readonly limit: () => number) {}

  /**
   * A give-back function once `bytes` fit (idempotent), or why not: they never can (a runtime error), or `signal`
   * ended the wait (no task wants them any more).
   */
  async take(bytes: number, signal: AbortSignal): Promise<Result<() => void, 'runtime-error' | 'model-unavailable'>> {
    if (bytes === 0) return ok(() => undefined);
    const limit = this.limit();
    if (bytes > limit) {
      return fail('runtime-error', `inputs sent by URL need ${mib(bytes)} of memory, more than the ${mib(limit)} you share (Settings)`);
    }
    if (this.waiting.length > 0 || this.held + bytes > limit) {
      const admitted = await new Promise<boolean>((settle) => {
        // A task that went away stops waiting, and stops holding back the ones behind it.
        const leave = (): void => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          this.wake();
          settle(false);
        };
        const waiter = {
          bytes,
          go: () => {
            signal.removeEventListener('abort', leave);
            settle(true);
          },
        };
        if (signal.aborted) return settle(false);
        this.waiting.push(waiter);
        signal.addEventListener('abort', leave, { once: true });
      });
      if (!admitted) return fail('model-unavailable', NOT_WANTED);
    } else this.held += bytes;
    let given = false;
    return ok(() => {
      if (given) return;
      given = true;
      this.held -= bytes;
      this.wake();
    });
  }

  private wake(): void {
    for (let next = this.waiting[0]; next && (this.held === 0 || this.held + next.bytes <= this.limit()); next = this.waiting[0]) {
      this.waiting.shift();
      this.held += next.bytes;
      next.go();
    }
  }
}

const mib = (n: number): string => `${Math.ceil(n / 1024 ** 2)} MiB`;

/** Stacks same-shaped tasks along the first axis: row-major bytes just concatenate. */
export function stackFeeds(tasks: readonly PreparedTask[]): Record<string, HostTensor> {
  const first = tasks[0]?.feeds ?? {};
  const bytes = (p: PreparedTask, name: string): Uint8Array => {
    const feed = p.feeds[name];
    if (!feed || isInputRef(feed)) throw new Error('only tasks whose inputs are in hand, the same ones, are stacked (batchKey)');
    return feed.data;
  };
  return Object.fromEntries(
    Object.entries(first).map(([name, t]) => [
      name,
      {
        dtype: t.dtype,
        shape: [tasks.reduce((n, p) => n + (p.feeds[name]?.shape[0] ?? 0), 0), ...t.shape.slice(1)],
        data: Buffer.concat(tasks.map((p) => bytes(p, name))),
      },
    ]),
  );
}

/** Cuts a stacked output back into per-task outputs, `rows` rows each. */
export function splitOutput(t: HostTensor, rows: readonly number[]): HostTensor[] {
  const total = t.shape[0] ?? 0;
  const rowBytes = total ? t.data.byteLength / total : 0;
  let at = 0;
  return rows.map((r) => {
    const part = { dtype: t.dtype, shape: [r, ...t.shape.slice(1)], data: t.data.subarray(at * rowBytes, (at + r) * rowBytes) };
    at += r;
    return part;
  });
}

/**
 * Two tasks can share a run when their inputs differ only in the first axis. A task with an input the job host
 * fetches runs alone: its bytes are not here to stack.
 */
export function batchKey(p: PreparedTask): string | undefined {
  if (p.rows === undefined || Object.values(p.feeds).some(isInputRef)) return undefined;
  const inputs = Object.entries(p.feeds)
    .sort(([a], [b]) => byText(a, b))
    .map(([n, t]) => `${n}:${t.dtype}:${t.shape.slice(1).join('x')}`);
  return `${p.task.model.sha256}|${[...p.task.outputs].sort().join(',')}|${inputs.join(';')}`;
}
