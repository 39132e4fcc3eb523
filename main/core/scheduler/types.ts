/** The scheduler's public contract: what feeds it, what it reports to, and what it shows. */
import type { Decision, Limits } from '../../common/policy.js';
import type { ComputeResource } from '../../common/protocol.js';
import type { ReleaseReason, Task, TaskResult } from '../../common/task.js';
import type { Clock, Logger } from '../ports.js';
import type { Provider } from '../runtime/host-protocol.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * Where tasks come from: the network client leases up to `slots` tasks. They arrive parsed: the client checks
 * them with TaskSchema at its boundary (the coordinator's reply), and parsing a 4 MB task again costs ~9 ms.
 */
export interface TaskSource {
  /** Up to `slots` tasks of the kind of compute asked for (it decides their pay). */
  lease(slots: number, resource: ComputeResource): Promise<readonly Task[]>;
}
/**
 * Where outcomes go: exactly one of complete/release per task. A result's output bytes are views into buffers the
 * scheduler reuses once complete() settles: a sink keeps them by writing them out (or copying) before that.
 */
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
  /** The first wait after a lease that brought no task in; it doubles with each such lease in a row, up to 30 s. */
  leaseRetryMs?: number;
  /** Jitter for that wait (0..1). */
  random?: () => number;
}

export interface TaskView {
  id: string;
  state: 'preparing' | 'queued' | 'running' | 'suspended';
  device: string | undefined;
  priority: number;
  deadline: number;
  rewardEstimateWei: string;
  /** The model's name from the network, if it gives one, and its file's size: they name the task on the dashboard. */
  modelName: string | undefined;
  modelBytes: number;
  attempts: number;
  /** 0..1, estimated from earlier runs of the same model; undefined before the first. */
  progress: number | undefined;
  etaMs: number | undefined;
}
export interface LaneView {
  id: string;
  run: boolean;
  limits: Limits;
  /** Job host process ids: the system monitor counts their CPU as ours, not the user's. */
  pids: number[];
  /** Time its jobs have run, in ms since start (the running ones so far): on a GPU, how much of its use is ours. */
  busyMs: number;
  /** Why the preferred execution provider was not used, for the user. */
  notice: string | undefined;
  /** Tasks finished with a result since start, and their floating-point operations. */
  finished: number;
  operations: number;
}
export interface SchedulerSnapshot {
  lanes: LaneView[];
  tasks: TaskView[];
}

export interface Scheduler {
  /** The policy's decision, enforced on the job hosts of each device it names (others keep theirs). */
  apply(decision: Decision): void;
  /** The network no longer wants this task (lease gone): drop it, send nothing. */
  cancel(taskId: string): void;
  snapshot(): SchedulerSnapshot;
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
