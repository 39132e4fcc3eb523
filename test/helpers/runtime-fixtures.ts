// Shared by the runtime/scheduler tests and benches: a real local HTTP model server and task builders.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Decision, Limits } from '../../main/common/policy.js';
import type { ComputeResource } from '../../main/common/protocol.js';
import { TaskSchema, withOwnBytes, type ReleaseReason, type Task, type TaskResult } from '../../main/common/task.js';
import type { HostEntry } from '../../main/core/runtime/host.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../main/core/runtime/runtime.js';
import { createScheduler, type Scheduler, type SchedulerOptions, type TaskSource } from '../../main/core/scheduler/scheduler.js';
import { fakePorts, tempDir } from './fakes.js';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Serves registered blobs with Range support; `cutAfter` truncates the next response to test resuming. */
export class ModelServer {
  readonly blobs = new Map<string, Uint8Array>();
  readonly requests: { path: string; range: string | undefined }[] = [];
  cutAfter: number | undefined;
  /** Sends this many bytes of the next response, then nothing more (the connection stays open). */
  stallAfter: number | undefined;
  private server: Server | undefined;
  private base = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      this.requests.push({ path, range: req.headers.range });
      const blob = this.blobs.get(path);
      if (!blob) return void res.writeHead(404).end();
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      if (this.stallAfter !== undefined) {
        res.writeHead(200, { 'content-length': blob.length });
        res.write(blob.subarray(0, this.stallAfter));
        this.stallAfter = undefined;
        return;
      }
      // A truncated answer (as from a dropped connection behind a proxy): the body just stops early.
      const body = blob.subarray(from, this.cutAfter === undefined ? undefined : from + this.cutAfter);
      this.cutAfter = undefined;
      res.writeHead(from ? 206 : 200, {
        'content-length': body.length,
        ...(from ? { 'content-range': `bytes ${from}-${blob.length - 1}/${blob.length}` } : {}),
      });
      res.end(body);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Registers bytes and returns the task's model reference. */
  add(name: string, bytes: Uint8Array, sha = sha256(bytes)): Task['model'] {
    this.blobs.set(`/${name}`, bytes);
    return { url: `${this.base}/${name}`, sha256: sha, size: bytes.length };
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
export const floats = (r: TaskResult, name = 'Y'): Float32Array => {
  const t = r.outputs[name];
  if (!t) throw new Error(`no output ${name}`);
  return new Float32Array(new Uint8Array(t.data).buffer);
};

let n = 0;
export function matmulTask(model: Task['model'], x: Float32Array, shape: number[], extra: Partial<Task> = {}): Task {
  return {
    id: `t${++n}`,
    model,
    inputs: { X: { kind: 'inline', dtype: 'float32', shape, data: b64(x) } },
    outputs: ['Y'],
    deadline: Date.UTC(2030, 0, 1),
    memoryEstimateBytes: 0,
    device: 'cpu',
    rewardEstimateWei: '10000000000000000',
    priority: 5,
    ...extra,
  };
}

/** The coordinator tests' runtimes prepare for: on this machine, so downloads from 127.0.0.1 servers are allowed. */
export const localCoordinator = (): string => 'http://127.0.0.1:1/';

/** A runtime on a fresh cache folder, for a coordinator on this machine unless `extra` says otherwise. */
export async function testRuntime(extra: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  const ports = fakePorts();
  return createRuntime({
    cacheDir: await tempDir('synor-rt-'),
    clock: ports.clock,
    logger: ports.logger,
    coordinatorUrl: localCoordinator,
    ...extra,
  });
}

/** A runtime whose job hosts run `hostEntry`: a stand-in host (fixtureHost), or a path that does not exist. */
export const runtimeWithHost = (hostEntry: HostEntry): Promise<Runtime> => testRuntime({ hostEntry });
/** A stand-in job host from test/fixtures/models, run through tsx. */
export const fixtureHost = (name: string): HostEntry => ({
  path: fileURLToPath(new URL(`../fixtures/models/${name}.ts`, import.meta.url)),
  execArgv: ['--import', 'tsx'],
});

export type Outcome = { kind: 'result'; result: TaskResult } | { kind: 'release'; taskId: string; reason: ReleaseReason; message: string };

/**
 * The network as the scheduler's task source, fed by the test: offered tasks wait here until the scheduler leases
 * them, as it does in production (only while a device runs and has room, one lease at a time). A lease takes up to
 * `slots` offered tasks at once; with none offered it stays open until one is, like the coordinator's long-poll (it
 * never answers empty). Offered tasks are parsed with TaskSchema, as the network client parses a lease reply: a test
 * can offer only what the network could hand out.
 */
export class TestSource implements TaskSource {
  /** Offered and not leased yet. */
  readonly offered: Task[] = [];
  /** The kind of compute each lease asked for, oldest first. */
  readonly asked: ComputeResource[] = [];
  private open: { slots: number; answer: (tasks: readonly Task[]) => void } | undefined;
  private readonly openWaiters: (() => void)[] = [];

  offer(...tasks: Task[]): void {
    this.offered.push(...tasks.map((task) => TaskSchema.parse(task)));
    this.answer();
  }

  lease(slots: number, resource: ComputeResource): Promise<readonly Task[]> {
    this.asked.push(resource);
    return new Promise((answer) => {
      this.open = { slots, answer };
      this.answer();
      if (this.open) this.openWaiters.splice(0).forEach((resolve) => resolve());
    });
  }

  /** Resolves once the scheduler has a lease open, waiting for a task (at once if it has). */
  leaseOpen(): Promise<void> {
    return this.open ? Promise.resolve() : new Promise((resolve) => this.openWaiters.push(resolve));
  }

  private answer(): void {
    if (!this.open || this.offered.length === 0) return;
    const { slots, answer } = this.open;
    this.open = undefined;
    answer(this.offered.splice(0, slots));
  }
}

/**
 * A scheduler on a real runtime, fed through `source` (unless `opts.source` replaces it), with a sink the test can
 * await outcomes from.
 */
export async function testScheduler(
  opts: Partial<SchedulerOptions> = {},
  runtimeOptions: Partial<RuntimeOptions> = {},
): Promise<{
  scheduler: Scheduler;
  source: TestSource;
  runtime: Runtime;
  outcomes: Outcome[];
  outcome(taskId: string): Promise<Outcome>;
  /** When the sink took each task's outcome: inside the scheduler's own step, however late the test wakes after. */
  deliveredAt: Map<string, number>;
  ports: ReturnType<typeof fakePorts>;
}> {
  const ports = fakePorts();
  ports.clock.time = Date.UTC(2026, 10, 25, 12);
  const runtime = createRuntime({
    cacheDir: await tempDir('synor-rt-'),
    clock: ports.clock,
    logger: ports.logger,
    coordinatorUrl: localCoordinator,
    ...runtimeOptions,
  });
  const outcomes: Outcome[] = [];
  const deliveredAt = new Map<string, number>();
  const waiters = new Map<string, (o: Outcome) => void>();
  const record = (o: Outcome, id: string): void => {
    deliveredAt.set(id, performance.now());
    outcomes.push(o);
    waiters.get(id)?.(o);
  };
  const source = new TestSource();
  const scheduler = createScheduler({
    runtime,
    source,
    clock: ports.clock,
    logger: ports.logger,
    sink: {
      // Kept as the network client keeps it (written out): the scheduler reuses the output buffers afterwards.
      complete: (result) => record({ kind: 'result', result: withOwnBytes(result) }, result.taskId),
      release: (taskId, reason, message) => record({ kind: 'release', taskId, reason, message }, taskId),
    },
    ...opts,
  });
  const outcome = (taskId: string): Promise<Outcome> => {
    const have = outcomes.find((o) => (o.kind === 'result' ? o.result.taskId : o.taskId) === taskId);
    return have ? Promise.resolve(have) : new Promise((r) => waiters.set(taskId, r));
  };
  return { scheduler, source, runtime, outcomes, outcome, deliveredAt, ports };
}

/** One device's limits and whether it runs: what decide() says for it, flat, for short test lines. */
export type DeviceLimits = Limits & { run: boolean };

/** The policy's decision for one device, shaped as decide() shapes it (no reasons: tests set the outcome directly). */
export const decided = (deviceId: string, { run, ...limits }: DeviceLimits): Decision => ({
  at: 0,
  devices: [{ deviceId, kind: deviceId === 'cpu' ? 'cpu' : 'gpu', run, limits, reasons: [] }],
});

export const running = (limits: Partial<DeviceLimits> = {}): DeviceLimits => ({
  run: true,
  threads: 1,
  dutyCycle: 1,
  memoryBudgetBytes: 2 * 1024 ** 3,
  vramBudgetMiB: null,
  priority: 'idle',
  ...limits,
});

/** Resolves when `check` holds, re-checking on every scheduler change (no sleeps). */
export function until(s: Scheduler, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (check()) return resolve();
    const off = s.onChange(() => {
      if (check()) {
        off();
        resolve();
      }
    });
  });
}
