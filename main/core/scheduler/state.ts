/**
 * What the scheduler's parts share: the lanes with their job hosts, the queue, the running jobs, and the one way a
 * task leaves (finish). Each part (admission, dispatch, enforcement, snapshot) is a set of functions on this state.
 */
import type { DeviceDecision, ReasonCode } from '../../common/policy.js';
import type { ComputeResource } from '../../common/protocol.js';
import type { ReleaseReason, TaskResult } from '../../common/task.js';
import type { JobHost } from '../runtime/host.js';
import { TaskQueue, type Queued } from './queue.js';
import type { DeviceLane, SchedulerOptions } from './types.js';

/** A lane's decision before the policy has spoken: nothing runs. */
const notYetDecided = (spec: DeviceLane): DeviceDecision => ({
  deviceId: spec.id,
  kind: spec.kind,
  run: false,
  limits: { threads: 1, dutyCycle: 1, memoryBudgetBytes: 0, vramBudgetMiB: null, priority: 'idle' },
  reasons: [],
});
/** Jobs in flight per host: the next ones' bytes travel while the current one computes. */
export const PIPELINE_DEPTH = 3;

export interface Job {
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
export interface HostSlot {
  host: JobHost;
  lane: Lane;
  jobs: Job[];
  preempted: boolean;
  throttled: boolean;
  tokens: number;
  lastCpu: number | undefined;
  lastTick: number;
}
export interface Lane {
  spec: DeviceLane;
  /** The policy's decision for this device, as decide() made it (the same object, not a copy). */
  decision: DeviceDecision;
  /** Whether the policy has decided for this device yet. */
  decided: boolean;
  hosts: Map<JobHost, HostSlot>;
  pausedAt: number | undefined;
  notBefore: number;
  notice: string | undefined;
  /** Why this device cannot run anything here (its provider failed on this machine); its tasks go to others. */
  broken: string | undefined;
  /** Run time of the jobs this lane finished, in ms (as their hosts measured it). */
  busyMs: number;
  /** Tasks this lane finished with a result, and their floating-point operations: its speed over time. */
  finished: number;
  operations: number;
}

/**
 * The user's own "not now" (sharing off, a pause, the device turned off or set to 0 %): unlike a give-back to the
 * user at the keyboard, it does not end in seconds, so the device's tasks go back at once rather than after maxPauseMs,
 * and a GPU turned off is not one to lease GPU work for.
 */
const TURNED_OFF: ReadonlySet<ReasonCode> = new Set(['SHARING_OFF', 'PAUSED_UNTIL', 'DEVICE_DISABLED', 'SHARE_ZERO']);
export const turnedOff = (lane: Lane): boolean => lane.decision.reasons.some((reason) => reason.blocking && TURNED_OFF.has(reason.code));

export type Outcome = { result: TaskResult } | { reason: ReleaseReason; message: string };

export const now = (): number => performance.now();
export const concurrency = (lane: Lane): number => lane.spec.concurrency ?? 1;
export const activeHosts = (lane: Lane): HostSlot[] => [...lane.hosts.values()].filter((slot) => slot.jobs.length > 0 && !slot.preempted);
export const minPriority = (slot: HostSlot): number =>
  Math.min(...slot.jobs.flatMap((job) => job.entries.map((entry) => entry.task.priority)));
const laneMemory = (lane: Lane): number =>
  [...lane.hosts.values()].reduce((sum, slot) => sum + slot.jobs.reduce((bytes, job) => bytes + job.memory, 0), 0);

export class SchedulerState {
  readonly maxRetries: number;
  readonly runTimeoutMs: number;
  readonly maxPauseMs: number;
  readonly maxBatch: number;
  readonly lanes: Map<string, Lane>;
  readonly queue = new TaskQueue();
  readonly jobs = new Map<string, Job>();
  /** Every task id we hold, in any state. */
  readonly known = new Set<string>();
  /** Running tasks to drop when their job ends. */
  readonly cancelled = new Set<string>();
  /** Model sha → learned from the host. */
  readonly batchable = new Map<string, boolean>();
  /** Model sha → running ms per row, for progress/ETA. */
  readonly msPerRow = new Map<string, number>();
  closed = false;
  lastEmit = 0;
  /** Runs whatever can run now; set by createScheduler, which composes the parts. */
  pump: () => void = () => undefined;
  private dirty = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly options: SchedulerOptions) {
    this.maxRetries = options.maxRetries ?? 2;
    this.runTimeoutMs = options.runTimeoutMs ?? 10 * 60_000;
    this.maxPauseMs = options.maxPauseMs ?? 5 * 60_000;
    this.maxBatch = options.maxBatch ?? 16;
    this.lanes = new Map(
      (options.devices ?? [{ id: 'cpu', kind: 'cpu', providers: ['cpu'] }]).map((spec) => [
        spec.id,
        {
          spec,
          decision: notYetDecided(spec),
          decided: false,
          hosts: new Map(),
          pausedAt: now(),
          notBefore: 0,
          notice: undefined,
          broken: undefined,
          busyMs: 0,
          finished: 0,
          operations: 0,
        },
      ]),
    );
  }

  // Listeners (the UI's state push) hear of transitions at once, of progress at most once a second: the ticker runs
  // every 10 ms while metering and must not turn into 100 state pushes a second.
  changed(): void {
    this.dirty = true;
  }
  emit(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastEmit = now();
    this.listeners.forEach((listener) => listener());
  }
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The one way a task leaves: its result or its release goes to the sink, unless the network cancelled it. */
  /** Settles once the sink is done with the outcome (a result's bytes may be reused after that). */
  finish(entry: Queued, outcome: Outcome): Promise<void> {
    const { sink, logger } = this.options;
    this.changed();
    this.known.delete(entry.task.id);
    entry.preparing?.abort();
    entry.prepared?.release();
    if (this.cancelled.delete(entry.task.id)) return Promise.resolve(); // the network no longer wants it: nothing to send
    const done =
      'result' in outcome
        ? sink.complete(outcome.result)
        : (logger.warn(`task ${entry.task.id} released (${outcome.reason}): ${outcome.message}`),
          sink.release(entry.task.id, outcome.reason, outcome.message));
    return Promise.resolve(done).catch((error: unknown) => logger.error(`result sink failed for ${entry.task.id}: ${String(error)}`));
  }

  /** A task runs only on the kind of device it was leased for: the lease decides the pay (docs/protocol.md, "Leases"). */
  fits(lane: Lane, task: Queued['task']): boolean {
    return lane.broken === undefined && (task.device === 'any' || task.device === lane.spec.kind);
  }

  /**
   * What to lease: GPU work while a GPU lane here is in service (not broken, not turned off by the user), else processor
   * work, so the pay is for what runs it.
   */
  leaseResource(): ComputeResource {
    return [...this.lanes.values()].some((lane) => lane.spec.kind === 'gpu' && lane.broken === undefined && !turnedOff(lane))
      ? 'gpu'
      : 'cpu';
  }
  runnable(task: Queued['task']): boolean {
    return [...this.lanes.values()].some((lane) => this.fits(lane, task));
  }

  /** The lane's memory (GPU: VRAM) budget, at the user's settings: what its jobs together may be estimated to hold. */
  budget(lane: Lane): number {
    const { limits } = lane.decision;
    return lane.spec.kind === 'gpu' && limits.vramBudgetMiB !== null ? limits.vramBudgetMiB * 1024 ** 2 : limits.memoryBudgetBytes;
  }

  /** Admission: the lane's budget against what its jobs are estimated to hold. */
  admits(lane: Lane, bytes: number): boolean {
    return laneMemory(lane) + bytes <= this.budget(lane);
  }
}
