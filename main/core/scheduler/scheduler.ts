/**
 * Local scheduler: runs the network's tasks on this machine's devices, inside the limits the policy engine sets.
 * - Tasks arrive by submit() or from a TaskSource; each ends in exactly one ResultSink complete() or release().
 * - Queue: priority, then deadline, then arrival; admission by the memory (GPU: VRAM) estimate against the budget.
 * - Lanes: one per device, `concurrency` job hosts each; a host keeps warm sessions and takes the next job of the
 *   same model before the current one ends, so bytes travel while it computes.
 * - Enforcement (setLimits): run:false SIGSTOPs the lane's hosts at once (released as 'policy-pause' after
 *   maxPauseMs); dutyCycle meters a CPU job's measured CPU time with SIGSTOP/SIGCONT and paces GPU runs; threads go to
 *   onnxruntime; priority to the OS; memoryBudgetBytes kills a host whose RSS exceeds it. A CPU lane's host with no
 *   job waits stopped too (applyStop).
 * - Failures: a crashed or hung host is restarted and its task retried up to maxRetries; task faults are released.
 */
import { LimitsSchema, type Limits } from '../../common/policy.js';
import { TaskSchema, type ReleaseReason, type Task, type TaskResult } from '../../common/task.js';
import type { Clock, Logger } from '../ports.js';
import type { HostTensor, Provider, RunRequest } from '../runtime/host-protocol.js';
import type { HostOutcome, JobHost } from '../runtime/host.js';
import { canSuspend } from '../runtime/process-control.js';
import { batchKey, splitOutput, stackFeeds, toResult, type PreparedTask, type Runtime } from '../runtime/runtime.js';
import { TaskQueue, type Queued } from './queue.js';

/**
 * Where tasks come from: the network client leases up to `slots` tasks. They arrive parsed: the client checks
 * them with TaskSchema at its boundary (the coordinator's reply), and parsing a 4 MB task again costs ~9 ms.
 */
export interface TaskSource {
  lease(slots: number): Promise<readonly Task[]>;
}
/** Where outcomes go: exactly one of complete/release per task. */
export interface ResultSink {
  complete(result: TaskResult): void | Promise<void>;
  release(taskId: string, reason: ReleaseReason, message: string): void | Promise<void>;
}

/** A device the scheduler runs jobs on: 'cpu', or a GPU with its providers (from the hardware probe, lanes.ts). */
export interface DeviceLane {
  id: string;
  /** For the user: "NVIDIA GeForce RTX 4070". */
  name?: string;
  kind: 'cpu' | 'gpu';
  providers: Provider[];
  deviceIndex?: number;
  /** Job hosts running at once on this device. */
  concurrency?: number;
}

/** What the policy engine decides per device (main/common/policy.ts Limits, plus run). */
export type DeviceLimits = Limits & { run: boolean };

export interface SchedulerOptions {
  runtime: Runtime;
  sink: ResultSink;
  source?: TaskSource;
  clock: Clock;
  logger: Logger;
  devices?: DeviceLane[];
  maxRetries?: number;
  /** Running time (not counting suspended time) after which a job host is considered hung. */
  runTimeoutMs?: number;
  /** Suspended this long, a device hands its tasks back ('policy-pause'). */
  maxPauseMs?: number;
  maxBatch?: number;
  warmSessions?: number;
  leaseRetryMs?: number;
}

export interface TaskView {
  id: string;
  state: 'preparing' | 'queued' | 'running' | 'suspended';
  device: string | undefined;
  priority: number;
  deadline: number;
  rewardEstimateWei: string;
  attempts: number;
  /** 0..1, estimated from earlier runs of the same model; undefined before the first. */
  progress: number | undefined;
  etaMs: number | undefined;
}
export interface LaneView {
  id: string;
  run: boolean;
  limits: DeviceLimits;
  /** Job host process ids: the system monitor counts their CPU as ours, not the user's. */
  pids: number[];
  /** Why the preferred execution provider was not used, for the user. */
  notice: string | undefined;
}
export interface SchedulerSnapshot {
  lanes: LaneView[];
  tasks: TaskView[];
}

const WAITING: DeviceLimits = { run: false, threads: 1, dutyCycle: 1, memoryBudgetBytes: 0, vramBudgetMiB: null, priority: 'idle' };
const DEPTH = 3; // jobs in flight per host: the next ones' bytes travel while the current one computes
const BURST_MS = 250; // unused CPU share a throttled job may save up (e.g. while other programs held the core)

interface Job {
  id: string;
  entries: Queued[];
  host: JobHost;
  lane: Lane;
  started: boolean;
  /** Dispatched behind another job on the same host (pipelined). */
  behind: boolean;
  activeMs: number;
  memory: number;
}
interface HostState {
  host: JobHost;
  lane: Lane;
  jobs: Job[];
  preempted: boolean;
  throttled: boolean;
  tokens: number;
  lastCpu: number | undefined;
  lastTick: number;
}
interface Lane {
  spec: DeviceLane;
  limits: DeviceLimits;
  hosts: Map<JobHost, HostState>;
  pausedAt: number | undefined;
  notBefore: number;
  notice: string | undefined;
  /** Why this device cannot run anything here (its provider failed on this machine); its tasks go to others. */
  broken: string | undefined;
}

export interface Scheduler {
  submit(raw: unknown): { ok: true } | { ok: false; message: string };
  setLimits(deviceId: string, limits: DeviceLimits): void;
  /** The network no longer wants this task (lease gone): drop it, send nothing. */
  cancel(taskId: string): void;
  snapshot(): SchedulerSnapshot;
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}

export function createScheduler(o: SchedulerOptions): Scheduler {
  const maxRetries = o.maxRetries ?? 2;
  const runTimeoutMs = o.runTimeoutMs ?? 10 * 60_000;
  const maxPauseMs = o.maxPauseMs ?? 5 * 60_000;
  const maxBatch = o.maxBatch ?? 16;
  const lanes = new Map<string, Lane>(
    (o.devices ?? [{ id: 'cpu', kind: 'cpu', providers: ['cpu'] }]).map((spec) => [
      spec.id,
      { spec, limits: WAITING, hosts: new Map(), pausedAt: performance.now(), notBefore: 0, notice: undefined, broken: undefined },
    ]),
  );
  const queue = new TaskQueue();
  const jobs = new Map<string, Job>();
  const known = new Set<string>(); // every task id we hold, in any state
  const cancelled = new Set<string>(); // running tasks to drop when their job ends
  const unknownDevices = new Set<string>();
  const batchable = new Map<string, boolean>(); // model sha → learned from the host
  const msPerRow = new Map<string, number>(); // model sha → running ms per row, for progress/ETA
  const listeners = new Set<() => void>();
  let jobSeq = 0;
  let closed = false;
  let leasing = false;
  let leaseTimer: NodeJS.Timeout | undefined;
  let tickTimer: NodeJS.Timeout | undefined;

  // Listeners (the UI's state push) hear of transitions at once, of progress at most once a second: the ticker runs
  // every 10 ms while metering and must not turn into 100 state pushes a second.
  let dirty = false;
  let lastEmit = 0;
  const changed = (): void => void (dirty = true);
  const emit = (): void => {
    if (!dirty) return;
    dirty = false;
    lastEmit = now();
    listeners.forEach((l) => l());
  };
  const now = (): number => performance.now();

  function finish(entry: Queued, outcome: { result: TaskResult } | { reason: ReleaseReason; message: string }): void {
    changed();
    known.delete(entry.task.id);
    entry.prepared?.release();
    if (cancelled.delete(entry.task.id)) return; // the network no longer wants it: nothing to send
    const done =
      'result' in outcome
        ? o.sink.complete(outcome.result)
        : (o.logger.warn(`task ${entry.task.id} released (${outcome.reason}): ${outcome.message}`),
          o.sink.release(entry.task.id, outcome.reason, outcome.message));
    Promise.resolve(done).catch((e: unknown) => o.logger.error(`result sink failed for ${entry.task.id}: ${String(e)}`));
  }

  /** A task from anywhere untrusted (API, devnet, tests): parsed here; a bad one is released as 'invalid-task'. */
  function submit(raw: unknown): { ok: true } | { ok: false; message: string } {
    const parsed = TaskSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw && 'id' in raw && typeof raw.id === 'string' ? raw.id : undefined;
      const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'task'}: ${i.message}`).join('; ');
      if (id) void Promise.resolve(o.sink.release(id, 'invalid-task', message)).catch(() => undefined);
      return { ok: false, message };
    }
    return enqueue(parsed.data);
  }

  function enqueue(task: Task): { ok: true } | { ok: false; message: string } {
    if (closed) return { ok: false, message: 'scheduler closed' };
    if (known.has(task.id)) return { ok: false, message: `task ${task.id} is already here` };
    if (!runnable(task)) {
      void Promise.resolve(o.sink.release(task.id, 'invalid-task', `no ${task.device} device here`)).catch(() => undefined);
      return { ok: false, message: `no ${task.device} device here` };
    }
    known.add(task.id);
    prepare(queue.add(task));
    changed();
    emit();
    return { ok: true };
  }

  /** Downloads the model and decodes inputs in the background; the entry waits in the queue meanwhile. */
  function prepare(entry: Queued): void {
    void o.runtime
      .prepare(entry.task)
      .catch((e: unknown) => ({ ok: false as const, reason: 'runtime-error' as const, message: `could not prepare the task: ${String(e)}` }))
      .then((p) => {
        if (!known.has(entry.task.id)) return p.ok && p.value.release(); // released while preparing
        if (!p.ok) {
          queue.remove(entry);
          finish(entry, p);
          return emit();
        }
        entry.prepared = p.value;
        changed();
        pump();
      });
  }

  /** 'gpu' is a preference: such tasks run on the CPU (at its share) when no GPU here can run them. */
  const fits = (lane: Lane, task: Task): boolean =>
    lane.broken === undefined &&
    (task.device === 'any' ||
      task.device === lane.spec.kind ||
      (task.device === 'gpu' && ![...lanes.values()].some((l) => l.spec.kind === 'gpu' && l.broken === undefined)));
  const runnable = (task: Task): boolean => [...lanes.values()].some((l) => fits(l, task));
  const concurrency = (lane: Lane): number => lane.spec.concurrency ?? 1;
  const laneMemory = (lane: Lane): number => [...lane.hosts.values()].reduce((n, h) => n + h.jobs.reduce((m, j) => m + j.memory, 0), 0);
  const activeHosts = (lane: Lane): HostState[] => [...lane.hosts.values()].filter((h) => h.jobs.length > 0 && !h.preempted);
  const minPriority = (h: HostState): number => Math.min(...h.jobs.flatMap((j) => j.entries.map((e) => e.task.priority)));

  function spawn(lane: Lane): HostState {
    const host = o.runtime.spawnHost(lane.limits.priority, (dead) => {
      lane.hosts.delete(dead);
      changed(); // its pid leaves the snapshot
      pump();
    });
    const state: HostState = { host, lane, jobs: [], preempted: false, throttled: false, tokens: 0, lastCpu: undefined, lastTick: now() };
    lane.hosts.set(host, state);
    return state;
  }

  /**
   * Stopped while the device is paused, the host preempted or over its CPU share, and (CPU lanes) while it has no job:
   * onnxruntime's pool threads spin for ~40 ms after each run: ~40 ms of CPU for a task whose run took 1–2 ms, when
   * tasks came one at a time at 2 threads. Running otherwise.
   */
  function applyStop(h: HostState): void {
    const idle = h.jobs.length === 0 && h.lane.spec.kind === 'cpu' && h.host.parkable;
    if (idle || h.lane.pausedAt !== undefined || h.preempted || h.throttled) h.host.suspend();
    else h.host.resume();
  }

  function pump(): void {
    if (closed) return;
    for (const lane of lanes.values()) {
      if (!lane.limits.run || lane.broken) continue;
      resumePreempted(lane);
      for (;;) {
        const best = queue.best((e) => e.prepared !== undefined && fits(lane, e.task) && admits(lane, e.task.memoryEstimateBytes));
        if (!best || now() < lane.notBefore) break;
        const slot = pickHost(lane, best);
        if (!slot) break;
        dispatch(lane, slot, best);
      }
    }
    releaseExpired();
    pull();
    schedule();
    emit();
  }

  function admits(lane: Lane, bytes: number): boolean {
    const budget = lane.spec.kind === 'gpu' && lane.limits.vramBudgetMiB !== null ? lane.limits.vramBudgetMiB * 1024 ** 2 : lane.limits.memoryBudgetBytes;
    return laneMemory(lane) + bytes <= budget;
  }

  function pickHost(lane: Lane, next: Queued): HostState | undefined {
    const sha = next.task.model.sha256;
    const idle = [...lane.hosts.values()].find((h) => h.host.alive && h.jobs.length === 0);
    if (activeHosts(lane).length < concurrency(lane)) return idle ?? spawn(lane);
    // Every slot is busy: queue behind a job of the same model (pipelining), or preempt lower-priority work.
    const behind = activeHosts(lane).find(
      (h) => h.jobs.length < DEPTH && minPriority(h) >= next.task.priority && h.jobs[0]?.entries[0]?.task.model.sha256 === sha && lane.spec.kind === 'cpu',
    );
    if (behind) return behind;
    const victim = activeHosts(lane).sort((a, b) => minPriority(a) - minPriority(b))[0];
    if (victim && minPriority(victim) < next.task.priority && canSuspend) {
      victim.preempted = true;
      changed();
      applyStop(victim);
      o.logger.info(`preempting job host ${victim.host.pid} for task ${next.task.id} (priority ${next.task.priority})`);
      return idle ?? spawn(lane);
    }
    return undefined;
  }

  function resumePreempted(lane: Lane): void {
    for (const h of lane.hosts.values()) {
      if (!h.preempted || activeHosts(lane).length >= concurrency(lane)) continue;
      const urgent = queue.best((e) => e.prepared !== undefined && fits(lane, e.task) && e.task.priority > minPriority(h));
      if (urgent) continue;
      h.preempted = false;
      changed();
      applyStop(h);
    }
  }

  function dispatch(lane: Lane, h: HostState, first: Queued): void {
    const host = h.host;
    const entries = [first];
    const key = first.prepared && batchable.get(first.task.model.sha256) && !first.alone ? batchKey(first.prepared) : undefined;
    if (key) {
      let memory = first.task.memoryEstimateBytes;
      for (const e of queue.matching((e) => e !== first && !e.alone && e.prepared !== undefined && batchKey(e.prepared) === key && fits(lane, e.task))) {
        if (entries.length >= maxBatch || !admits(lane, memory + e.task.memoryEstimateBytes)) break;
        memory += e.task.memoryEstimateBytes;
        entries.push(e);
      }
    }
    entries.forEach((e) => queue.remove(e));
    const prepared = entries.map((e) => e.prepared!);
    const job: Job = {
      id: `j${++jobSeq}`,
      entries,
      host,
      lane,
      started: false,
      behind: h.jobs.length > 0,
      activeMs: 0,
      memory: entries.reduce((n, e) => n + e.task.memoryEstimateBytes, 0),
    };
    jobs.set(job.id, job);
    h.jobs.push(job);
    applyStop(h); // continues a host stopped while idle
    changed();
    const req: RunRequest = {
      type: 'run',
      jobId: job.id,
      modelPath: prepared[0]!.modelPath,
      sha256: first.task.model.sha256,
      feeds: entries.length > 1 ? stackFeeds(prepared) : prepared[0]!.feeds,
      outputs: first.task.outputs,
      session: {
        threads: Math.max(1, lane.limits.threads),
        providers: lane.spec.providers,
        deviceIndex: lane.spec.deviceIndex ?? 0,
        warmSessions: o.warmSessions ?? 3,
        ...(lane.limits.vramBudgetMiB ? { vramBudgetBytes: Math.floor(lane.limits.vramBudgetMiB * 1024 ** 2) } : {}),
      },
    };
    void host
      .run(req, {
        onStarted: () => {
          job.started = true;
          changed();
          emit();
        },
        onLoaded: (m) => {
          host.setPriority(lane.limits.priority); // now that the session's threads exist
          batchable.set(m.sha256, m.batchable);
          if (m.fallback && lane.notice !== m.fallback) o.logger.warn(`device ${lane.spec.id}: ${m.fallback}`);
          lane.notice = m.fallback;
        },
      })
      .then((outcome) => settle(job, h, outcome, prepared));
  }

  function settle(job: Job, h: HostState, outcome: HostOutcome, prepared: PreparedTask[]): void {
    jobs.delete(job.id);
    h.jobs = h.jobs.filter((j) => j !== job);
    if (h.jobs.length === 0) {
      // Idle: the CPU-share meter starts afresh with the next job (no saved-up share, no debt).
      h.throttled = false;
      h.tokens = 0;
      h.lastCpu = undefined;
    }
    if (job.host.alive) applyStop(h);
    // A spare host left over from preemption goes once the lane has more idle hosts than it runs at once.
    const idle = [...job.lane.hosts.values()].filter((x) => x.jobs.length === 0);
    if ((idle.length > concurrency(job.lane) || job.lane.broken) && h.jobs.length === 0) h.host.kill('shutdown', 'spare job host no longer needed');
    if (outcome.ok) {
      const m = outcome.message;
      const rows = prepared.map((p) => p.rows ?? 1);
      const sha = job.entries[0]!.task.model.sha256;
      const totalRows = rows.reduce((a, b) => a + b, 0);
      msPerRow.set(sha, m.accounting.wallMs / totalRows);
      const parts = Object.fromEntries(Object.entries(m.outputs).map(([n, t]) => [n, job.entries.length > 1 ? splitOutput(t, rows) : [t]]));
      job.entries.forEach((e, i) => {
        const share = rows[i]! / totalRows; // a batch's cost is split by rows
        const outputs: Record<string, HostTensor> = Object.fromEntries(Object.entries(parts).map(([n, p]) => [n, p[i]!]));
        finish(e, {
          result: toResult(e.task.id, outputs, {
            wallMs: m.accounting.wallMs * share,
            cpuMs: m.accounting.cpuMs * share,
            peakRssBytes: m.accounting.peakRssBytes,
            device: `${job.lane.spec.id}/${m.accounting.provider}`,
            operations: m.accounting.operations * share,
          }),
        });
      });
      outcome.recycle(); // the results hold base64 copies now
      if (job.lane.spec.kind === 'gpu' && job.lane.limits.dutyCycle < 1 && job.lane.limits.dutyCycle > 0)
        // GPUs cannot be stopped mid-kernel: pace runs instead, idle long enough to meet the duty cycle.
        job.lane.notBefore = now() + m.accounting.wallMs * (1 / job.lane.limits.dutyCycle - 1);
    } else failed(job, outcome);
    pump();
  }

  function failed(job: Job, outcome: Extract<HostOutcome, { ok: false }>): void {
    const { code, message } = outcome;
    const retry = (e: Queued, countAttempt: boolean): void => {
      if (countAttempt) e.attempts++;
      if (e.attempts > maxRetries) return finish(e, { reason: 'runtime-error', message: `gave up after ${e.attempts} attempts: ${message}` });
      o.logger.warn(`task ${e.task.id}: retrying (attempt ${e.attempts + 1}) after: ${message}`);
      queue.requeue(e);
    };
    const hostWide = code === 'host-crashed' || code === 'timeout' || code === 'memory-budget' || code === 'deadline' || code === 'preempted';
    for (const e of job.entries) {
      if (cancelled.has(e.task.id)) finish(e, { reason: 'shutdown', message: 'cancelled' });
      // A job still waiting behind the one that took its host down is not to blame.
      else if (hostWide && ((!job.started && job.behind) || (code === 'deadline' && e.task.deadline > o.clock.now()))) queue.requeue(e);
      else if (job.entries.length > 1 && (code === 'bad-input' || code === 'run-failed')) {
        e.alone = true; // one task may have spoiled the batch: run each alone
        queue.requeue(e);
      } else if (code === 'host-crashed' || code === 'timeout') retry(e, true);
      else if (code === 'preempted' || code === 'provider-unavailable') retry(e, false);
      else if (code === 'model-corrupt') {
        void o.runtime.cache.remove(e.task.model.sha256, message);
        e.prepared?.release();
        e.prepared = undefined;
        e.attempts++;
        if (e.attempts > maxRetries) finish(e, { reason: 'model-unavailable', message });
        else {
          queue.requeue(e);
          prepare(e); // downloads it again
        }
      } else
        finish(e, {
          reason:
            code === 'bad-input' || code === 'bad-request'
              ? 'invalid-task'
              : code === 'model-invalid'
                ? 'model-unavailable'
                : code === 'policy-pause' || code === 'deadline' || code === 'shutdown'
                  ? code
                  : 'runtime-error',
          message,
        });
    }
    if (code === 'provider-unavailable') disable(job.lane, message); // after its tasks went back to the queue
  }

  /**
   * The device's provider does not work here: say so once; its queued tasks go to devices that can run them, and
   * back to the network where none can (a lane breaking is the only way a queued task becomes unrunnable).
   */
  function disable(lane: Lane, why: string): void {
    if (lane.broken) return;
    lane.broken = why;
    const cpu = [...lanes.values()].some((l) => l.spec.kind === 'cpu');
    lane.notice = `${lane.spec.name ?? lane.spec.id}: ${why}; ${cpu ? 'its tasks run on the processor instead, within the CPU limits' : 'its tasks go back to the network'}`;
    o.logger.warn(`device ${lane.spec.id}: ${lane.notice}`);
    for (const h of lane.hosts.values()) if (h.jobs.length === 0) h.host.kill('shutdown', why);
    const reasons = [...lanes.values()].flatMap((l) => (l.broken ? [l.broken] : [])).join('; ');
    for (const e of queue.matching((e) => !runnable(e.task))) {
      queue.remove(e);
      finish(e, { reason: 'runtime-error', message: `no ${e.task.device} device here can run it: ${reasons}` });
    }
    changed();
  }

  function releaseExpired(): void {
    const t = o.clock.now();
    for (const e of queue.matching((e) => e.task.deadline <= t)) {
      queue.remove(e);
      finish(e, { reason: 'deadline', message: `deadline passed while queued` });
    }
    for (const job of jobs.values())
      if (job.entries.some((e) => e.task.deadline <= t)) job.host.kill('deadline', 'deadline passed while running');
    for (const lane of lanes.values()) {
      if (lane.pausedAt === undefined || now() - lane.pausedAt < maxPauseMs) continue;
      const why = `paused for more than ${Math.round(maxPauseMs / 1000)} s`;
      for (const host of lane.hosts.keys()) host.kill('policy-pause', why);
      // Queued tasks only this device could run go back too.
      const others = [...lanes.values()].filter((l) => l.limits.run);
      for (const e of queue.matching((e) => !others.some((l) => fits(l, e.task)) && fits(lane, e.task))) {
        queue.remove(e);
        finish(e, { reason: 'policy-pause', message: why });
      }
    }
  }

  function pull(): void {
    if (!o.source || leasing || closed) return;
    const slots = [...lanes.values()].filter((l) => l.limits.run && !l.broken).reduce((n, l) => n + concurrency(l) * DEPTH, 0) - known.size;
    if (slots <= 0) return;
    leasing = true;
    o.source
      .lease(slots)
      .then(
        (tasks) => {
          tasks.forEach((t) => enqueue(t));
          if (tasks.length === 0 && !closed) leaseTimer = setTimeout(pump, o.leaseRetryMs ?? 5000).unref();
        },
        (e: unknown) => {
          o.logger.warn(`lease failed: ${String(e)}`);
          leaseTimer = setTimeout(pump, o.leaseRetryMs ?? 5000).unref();
        },
      )
      .finally(() => {
        leasing = false;
      });
  }

  /** The ticker runs only while there is work: 10 ms while a CPU share is being metered, 100 ms otherwise. */
  function schedule(): void {
    clearTimeout(tickTimer);
    tickTimer = undefined;
    if (closed || (jobs.size === 0 && queue.size === 0)) return;
    const metering = [...lanes.values()].some((l) => l.limits.dutyCycle < 1 && l.spec.kind === 'cpu' && activeHosts(l).length > 0);
    tickTimer = setTimeout(tick, metering ? 10 : 100).unref();
  }

  function tick(): void {
    const t = now();
    if (jobs.size > 0 && t - lastEmit >= 1000) changed(); // progress and ETA move
    for (const lane of lanes.values()) {
      let rss = 0;
      for (const h of lane.hosts.values()) {
        const host = h.host;
        const dt = t - h.lastTick;
        h.lastTick = t;
        const running = h.jobs.length > 0 && !host.stopped;
        const current = h.jobs.find((j) => j.started);
        if (running && current) {
          current.activeMs += dt;
          if (current.activeMs > runTimeoutMs) host.kill('timeout', `no result after ${Math.round(current.activeMs)} ms of running: job host hung`);
        }
        rss += h.jobs.length ? (host.rssBytes() ?? 0) : 0;
        meter(lane, h, dt, running);
      }
      if (lane.limits.memoryBudgetBytes > 0 && rss > lane.limits.memoryBudgetBytes) {
        const [biggest] = [...lane.hosts.keys()].filter((hh) => lane.hosts.get(hh)!.jobs.length).sort((a, b) => (b.rssBytes() ?? 0) - (a.rssBytes() ?? 0));
        biggest?.kill('memory-budget', `job used ${mib(rss)} of memory, over its ${mib(lane.limits.memoryBudgetBytes)} budget: stopped`);
      }
    }
    pump();
  }

  /** CPU share: a token bucket on the job's measured CPU time, refilled at dutyCycle × threads. */
  function meter(lane: Lane, h: HostState, dt: number, running: boolean): void {
    if (lane.spec.kind !== 'cpu' || !canSuspend || h.jobs.length === 0 || lane.limits.dutyCycle >= 1) {
      if (h.throttled) {
        h.throttled = false;
        applyStop(h);
      }
      return;
    }
    const rate = lane.limits.dutyCycle * Math.max(1, lane.limits.threads);
    const cpu = h.host.cpuMs();
    if (cpu !== undefined && h.lastCpu === undefined) return void (h.lastCpu = cpu);
    const used = cpu !== undefined && h.lastCpu !== undefined ? cpu - h.lastCpu : running ? dt * lane.limits.threads : 0;
    h.lastCpu = cpu;
    h.tokens = Math.min(h.tokens + dt * rate - used, BURST_MS * rate);
    const throttle = h.tokens < 0;
    if (throttle !== h.throttled) {
      h.throttled = throttle;
      applyStop(h);
    }
  }

  function setLimits(deviceId: string, raw: DeviceLimits): void {
    const lane = lanes.get(deviceId);
    // The policy decides for every device it sees; one without a lane (no runtime for it) is said once.
    if (!lane) {
      if (!unknownDevices.has(deviceId)) o.logger.info(`no job lane for device ${deviceId}`);
      unknownDevices.add(deviceId);
      return;
    }
    const parsed = LimitsSchema.safeParse(raw);
    if (!parsed.success || typeof raw.run !== 'boolean') return o.logger.error(`ignored invalid limits for ${deviceId}: ${JSON.stringify(raw)}`);
    const limits = { ...parsed.data, run: raw.run };
    changed();
    const was = lane.limits;
    lane.limits = limits;
    if (!limits.run && lane.pausedAt === undefined) lane.pausedAt = now();
    if (limits.run) lane.pausedAt = undefined;
    for (const h of lane.hosts.values()) {
      if (!canSuspend && !limits.run) h.host.kill('preempted', 'device paused; this OS cannot suspend a process');
      if (limits.priority !== was.priority) h.host.setPriority(limits.priority);
      applyStop(h);
    }
    pump();
  }

  /** Drops a task without sending anything (its lease is gone); a job running only that task is stopped. */
  function cancel(taskId: string): void {
    if (!known.has(taskId)) return;
    const queued = queue.matching((e) => e.task.id === taskId)[0];
    if (queued) {
      queue.remove(queued);
      cancelled.add(taskId);
      finish(queued, { reason: 'shutdown', message: 'cancelled' });
      return emit();
    }
    cancelled.add(taskId);
    const job = [...jobs.values()].find((j) => j.entries.some((e) => e.task.id === taskId));
    if (job?.entries.every((e) => cancelled.has(e.task.id))) job.host.kill('preempted', `task ${taskId} cancelled`);
  }

  function snapshot(): SchedulerSnapshot {
    const view = (e: Queued, state: TaskView['state'], device: string | undefined, job?: Job): TaskView => {
      const perRow = msPerRow.get(e.task.model.sha256);
      const expected = perRow !== undefined && job ? perRow * job.entries.reduce((n, x) => n + (x.prepared?.rows ?? 1), 0) : undefined;
      const progress = expected !== undefined && job ? Math.min(0.99, job.activeMs / Math.max(1, expected)) : undefined;
      const duty = job ? Math.max(0.01, job.lane.limits.dutyCycle) : 1;
      return {
        id: e.task.id,
        state,
        device,
        priority: e.task.priority,
        deadline: e.task.deadline,
        rewardEstimateWei: e.task.rewardEstimateWei,
        attempts: e.attempts,
        progress,
        etaMs: expected !== undefined && job ? Math.max(0, expected - job.activeMs) / duty : undefined,
      };
    };
    const tasks: TaskView[] = [];
    for (const job of jobs.values()) {
      // Stopped by the CPU-share meter is still running, at its share; 'suspended' is paused or preempted.
      const state = !job.started ? 'queued' : job.lane.pausedAt !== undefined || job.lane.hosts.get(job.host)?.preempted ? 'suspended' : 'running';
      for (const e of job.entries) tasks.push(view(e, state, job.lane.spec.id, job));
    }
    for (const e of queue.all()) tasks.push(view(e, e.prepared ? 'queued' : 'preparing', undefined));
    return {
      lanes: [...lanes.values()].map((l) => ({
        id: l.spec.id,
        run: l.limits.run,
        limits: l.limits,
        pids: [...l.hosts.keys()].map((h) => h.pid),
        notice: l.notice,
      })),
      tasks,
    };
  }

  async function close(): Promise<void> {
    closed = true;
    clearTimeout(tickTimer);
    clearTimeout(leaseTimer);
    const exits: Promise<unknown>[] = [];
    for (const lane of lanes.values())
      for (const host of lane.hosts.keys()) {
        exits.push(host.exited);
        host.kill('shutdown', 'agent shutting down');
      }
    for (const e of queue.all()) {
      queue.remove(e);
      finish(e, { reason: 'shutdown', message: 'agent shutting down' });
    }
    await Promise.all(exits);
    await new Promise(setImmediate); // let the killed jobs' releases run
  }

  return {
    submit,
    cancel,
    setLimits,
    snapshot,
    close,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const mib = (n: number): string => `${Math.round(n / 1024 ** 2)} MiB`;
