import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ReleaseReason, Task, TaskResult, Tensor } from '../../common/task.js';
import type { Clock, Logger } from '../ports.js';
import { BufferPool, sweepSpillFolders } from './frames.js';
import { DTYPE_BYTES, tensorBuffers, type HostTensor } from './host-protocol.js';
import { defaultHostEntry, JobHost, type HostEntry } from './host.js';
import { ModelCache } from './model-cache.js';

export interface RuntimeOptions {
  cacheDir: string;
  cacheCapBytes?: number;
  clock: Clock;
  logger: Logger;
  hostEntry?: HostEntry;
  fetch?: typeof fetch;
}

/** A task made ready to run: model on disk (pinned in the cache), inputs as bytes. */
export interface PreparedTask {
  task: Task;
  modelPath: string;
  feeds: Record<string, HostTensor>;
  /** Length of the first axis shared by every input, when there is one: what micro-batching stacks along. */
  rows: number | undefined;
  /** The task is over: unpins its model and recycles its input buffers (the host has read them by then). */
  release(): void;
}

export type Prepared = { ok: true; value: PreparedTask } | { ok: false; reason: ReleaseReason; message: string };

export interface Runtime {
  cache: ModelCache;
  prepare(task: Task): Promise<Prepared>;
  spawnHost(priority: 'idle' | 'low', onExit: (host: JobHost) => void): JobHost;
}

export function createRuntime(o: RuntimeOptions): Runtime {
  sweepSpillFolders();
  const cache = new ModelCache({
    dir: o.cacheDir,
    capBytes: o.cacheCapBytes ?? 8 * 1024 ** 3,
    clock: o.clock,
    logger: o.logger,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  const entry = o.hostEntry ?? defaultHostEntry();

  // Input and output tensor buffers are recycled (frames.ts BufferPool): steady work allocates no big buffers.
  const pool = new BufferPool(8);

  async function tensorBytes(name: string, t: Tensor): Promise<HostTensor | string> {
    const want = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    const wrongSize = (got: number): string => `input "${name}": shape [${t.shape.join(', ')}] of ${t.dtype} needs ${want} bytes, got ${got}`;
    if (t.kind === 'inline') {
      // The schema checks only the length; the characters are checked here, by decoding: each bad one is skipped.
      const length = Buffer.byteLength(t.data, 'base64');
      if (length !== want) return wrongSize(length);
      const data = pool.take(want);
      if (Buffer.from(data.buffer, 0, want).write(t.data, 'base64') !== want) {
        pool.give([data.buffer as ArrayBuffer]);
        return `input "${name}": not valid base64`;
      }
      return { dtype: t.dtype, shape: t.shape, data };
    }
    const got = await cache.ensure({ url: t.url, sha256: t.sha256, size: t.size });
    if (!got.ok) return `input "${name}": ${got.message}`;
    const data = await readFile(got.path);
    const actual = createHash('sha256').update(data).digest('hex');
    if (actual !== t.sha256) {
      await cache.remove(t.sha256, 'hash mismatch on read');
      return `input "${name}": cached bytes hash to ${actual}, expected ${t.sha256}`;
    }
    if (data.byteLength !== want) return wrongSize(data.byteLength);
    return { dtype: t.dtype, shape: t.shape, data };
  }

  return {
    cache,
    spawnHost: (priority, onExit) => new JobHost(entry, o.logger, priority, onExit, pool),
    async prepare(task) {
      const feeds: Record<string, HostTensor> = {};
      const fail = (reason: ReleaseReason, message: string): Prepared => {
        pool.give(tensorBuffers(feeds));
        return { ok: false, reason, message };
      };
      for (const [name, t] of Object.entries(task.inputs)) {
        const h = await tensorBytes(name, t);
        if (typeof h === 'string') return fail(t.kind === 'url' ? 'model-unavailable' : 'invalid-task', h);
        feeds[name] = h;
      }
      const model = await cache.ensure(task.model);
      if (!model.ok) return fail('model-unavailable', model.message);
      const unpin = cache.pin(task.model.sha256);
      let released = false;
      const firstAxes = new Set(Object.values(feeds).map((f) => f.shape[0]));
      const [rows] = firstAxes;
      return {
        ok: true,
        value: {
          task,
          modelPath: model.path,
          feeds,
          rows: firstAxes.size === 1 ? rows : undefined,
          release: () => {
            if (released) return; // a second give would hand the buffers to two tasks
            released = true;
            unpin();
            pool.give(tensorBuffers(feeds));
          },
        },
      };
    },
  };
}

/** Stacks same-shaped tasks along the first axis: row-major bytes just concatenate. */
export function stackFeeds(tasks: readonly PreparedTask[]): Record<string, HostTensor> {
  const first = tasks[0]!.feeds;
  return Object.fromEntries(
    Object.entries(first).map(([name, t]) => [
      name,
      {
        dtype: t.dtype,
        shape: [tasks.reduce((n, p) => n + (p.feeds[name]?.shape[0] ?? 0), 0), ...t.shape.slice(1)],
        data: Buffer.concat(tasks.map((p) => p.feeds[name]!.data)),
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

/** Two tasks can share a run when their inputs differ only in the first axis. */
export function batchKey(p: PreparedTask): string | undefined {
  if (p.rows === undefined) return undefined;
  const inputs = Object.entries(p.feeds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, t]) => `${n}:${t.dtype}:${t.shape.slice(1).join('x')}`);
  return `${p.task.model.sha256}|${[...p.task.outputs].sort().join(',')}|${inputs.join(';')}`;
}

export function toResult(taskId: string, outputs: Record<string, HostTensor>, accounting: TaskResult['accounting']): TaskResult {
  return {
    taskId,
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([n, t]) => [
        n,
        { kind: 'inline' as const, dtype: t.dtype, shape: t.shape, data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') },
      ]),
    ),
    accounting,
  };
}
