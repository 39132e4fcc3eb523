import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ComputeResource, DeviceInfo, LeaseReply } from '../common/protocol.js';
import type { ReleaseReason, TaskResult } from '../common/task.js';
import type { Clock } from '../core/ports.js';
import type { Pace } from './pace.js';
import type { Random } from './random.js';
import { leaseTerms, makeTask, type DevnetModel, type IssuedTask } from './tasks.js';

export interface Lease {
  id: string;
  issued: IssuedTask;
  deviceId: string;
  /** What it was leased for: the receipt's resource type and rate, whatever the result says ran it. */
  resource: ComputeResource;
  /** Bytes of the reply that granted it: bandwidth, paid with the result's own bytes if the result is paid. */
  bytes: number;
  /** The models (by sha256) fetched through it: paid once per device, however often fetched (see `TransferLedger`). */
  models: Set<string>;
  issuedAt: number;
  expiresAt: number;
  /** Its task went back to the pool; a late result is still taken while nobody else finished it. */
  expired: boolean;
}

/** One per task: who submitted it first, so re-sends are recognised. */
interface Outcome {
  deviceId: string;
  /** Past this (plus an hour) a re-send is answered too-late anyway, so the outcome can be forgotten. */
  deadline: number;
}

const OUTCOME_GRACE_MS = 3_600_000;

export interface CoordinatorStats {
  /** taskId → how many times a result was accepted (must never exceed 1). */
  accepted: Map<string, number>;
  duplicates: number;
  rejected: number;
  /** Why each released task was given back. */
  releases: ReleaseReason[];
}

export interface WorkPoolOptions {
  models: readonly DevnetModel[];
  clock: Pick<Clock, 'now'>;
  leaseTtlMs: number;
  maxLeaseWaitMs: number;
  maxOpenTasks: number;
  taskDeadlineMs: number;
  /** null: a task for every lease (on demand) or only `addTasks`, as `onDemand` says; a number: one every this many ms. */
  taskIntervalMs: number | null;
  onDemand: boolean;
  /** The speed tasks are sized to, per device. */
  pace: Pace;
  random: Random;
}

/**
 * The devnet's work: open tasks (made on demand, on a timer, or added by tests), devices waiting for one, leases and
 * their expiry, and who finished each task first. Tasks are sized to the pace each device was verified working at.
 */
export class WorkPool {
  readonly stats: CoordinatorStats = { accepted: new Map(), duplicates: 0, rejected: 0, releases: [] };
  readonly leases = new Map<string, Lease>();
  private readonly open: IssuedTask[] = [];
  private readonly outcomes = new Map<string, Outcome>();
  private readonly waiters: { deviceId: string; give: (issued: IssuedTask) => void }[] = [];
  /** Counts a reply's bytes toward the lease it grants. */
  private readonly sent = new WeakMap<IncomingMessage, (bytes: number) => void>();
  private readonly timers: NodeJS.Timeout[];
  /** The coordinator's URL, for the tasks' model links (known once it listens). */
  baseUrl = '';

  constructor(private readonly o: WorkPoolOptions) {
    this.timers = [
      setInterval(() => this.sweep(), 1_000),
      ...(o.taskIntervalMs === null ? [] : [setInterval(() => this.generate(), o.taskIntervalMs)]),
    ];
    for (const t of this.timers) t.unref();
  }

  private now(): number {
    return this.o.clock.now();
  }

  addTask(issued: IssuedTask): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.give(issued);
    else this.open.push(issued);
  }

  addTasks(count: number): void {
    for (let i = 0; i < count; i++) {
      this.addTask(makeTask(this.o.models, this.baseUrl, this.now(), this.o.taskDeadlineMs, { random: this.o.random }));
    }
  }

  /** On a timer: one more open task while fewer than the limit wait. */
  generate(): void {
    if (this.open.length < this.o.maxOpenTasks) this.addTasks(1);
  }

  /** Bytes of the reply to `req`, counted toward the lease it granted (if it granted one). */
  replied(req: IncomingMessage, bytes: number): void {
    this.sent.get(req)?.(bytes);
  }

  /** A task for the device at once, or when one comes within `waitMs` (a long-poll); none when the client hangs up. */
  async lease(
    req: IncomingMessage,
    deviceId: string,
    info: DeviceInfo,
    waitMs: number,
    resource: ComputeResource,
  ): Promise<LeaseReply | undefined> {
    const grant = (issued: IssuedTask): LeaseReply => {
      const lease: Lease = {
        id: randomUUID(),
        issued,
        deviceId,
        resource,
        bytes: 0,
        models: new Set(),
        issuedAt: this.now(),
        expiresAt: this.now() + this.o.leaseTtlMs,
        expired: false,
      };
      this.leases.set(lease.id, lease);
      // The model is fetched through the lease, so the bytes served count for this device and task.
      const model = { ...issued.task.model, url: `${issued.task.model.url}?lease=${lease.id}` };
      this.sent.set(req, (bytes) => (lease.bytes += bytes));
      const task = { ...issued.task, ...leaseTerms(resource, resource, issued.operations), model };
      return { kind: 'task', leaseId: lease.id, task, leaseTtlMs: this.o.leaseTtlMs, serverTime: this.now() };
    };
    const ready =
      this.open.shift() ??
      (this.o.onDemand
        ? makeTask(this.o.models, this.baseUrl, this.now(), this.o.taskDeadlineMs, {
            device: resource,
            gflops: this.o.pace.of(deviceId, info),
            random: this.o.random,
          })
        : undefined);
    if (ready) return grant(ready);
    const issued = await new Promise<IssuedTask | null>((resolve) => {
      const waiter = { deviceId, give: (t: IssuedTask) => finish(t) };
      const finish = (t: IssuedTask | null): void => {
        clearTimeout(timeout);
        req.socket.off('close', gone);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(t);
      };
      // A client that hangs up must not be handed a task nobody will run.
      const gone = (): void => finish(null);
      const timeout = setTimeout(() => finish(null), Math.min(waitMs, this.o.maxLeaseWaitMs));
      req.socket.once('close', gone);
      this.waiters.push(waiter);
    });
    if (issued && req.socket.destroyed) {
      this.addTask(issued);
      return undefined;
    }
    if (issued) return grant(issued);
    const every = this.o.taskIntervalMs;
    return {
      kind: 'none',
      reason: 'no-tasks',
      message:
        every === null
          ? 'the devnet has no open tasks.'
          : `the devnet has no open tasks right now; a new one comes every ${Math.max(1, Math.round(every / 1000))} s.`,
      retryAfterMs: 0,
      serverTime: this.now(),
    };
  }

  /** Renews a lease; false when it is gone (expired, finished, or not this device's). */
  heartbeat(deviceId: string, leaseId: string): boolean {
    const lease = this.leases.get(leaseId);
    if (!lease || lease.deviceId !== deviceId || lease.expired || this.outcomes.has(lease.issued.task.id)) return false;
    lease.expiresAt = this.now() + this.o.leaseTtlMs;
    return true;
  }

  /**
   * Takes a result: the lease it answers, or why not (a re-send by the same device is a duplicate; anything else too
   * late). Claimed before the (async) check that follows, so a re-send racing this one is seen as a duplicate.
   */
  take(deviceId: string, leaseId: string, result: TaskResult): Lease | 'duplicate' | 'too-late' {
    const previous = this.outcomes.get(result.taskId);
    if (previous) {
      if (previous.deviceId !== deviceId) return 'too-late';
      this.stats.duplicates++;
      return 'duplicate';
    }
    const lease = this.leases.get(leaseId);
    if (!lease || lease.deviceId !== deviceId || lease.issued.task.id !== result.taskId || lease.issued.task.deadline <= this.now())
      return 'too-late';
    this.outcomes.set(result.taskId, { deviceId, deadline: lease.issued.task.deadline });
    this.leases.delete(leaseId);
    const queued = this.open.indexOf(lease.issued);
    if (queued >= 0) this.open.splice(queued, 1);
    this.stats.accepted.set(result.taskId, (this.stats.accepted.get(result.taskId) ?? 0) + 1);
    return lease;
  }

  /** A task given back goes to someone else, unless the device said the task itself is bad. */
  release(deviceId: string, leaseId: string, reason: ReleaseReason): boolean {
    const lease = this.leases.get(leaseId);
    if (!lease || lease.deviceId !== deviceId) return false;
    this.leases.delete(leaseId);
    this.stats.releases.push(reason);
    if (!lease.expired && reason !== 'invalid-task' && reason !== 'model-unavailable') this.addTask(lease.issued);
    return true;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
  }

  // Expired leases put their task back; leases and tasks past their deadline are dropped.
  private sweep(): void {
    const now = this.now();
    for (const lease of this.leases.values()) {
      const done = this.outcomes.has(lease.issued.task.id);
      if (done || lease.issued.task.deadline <= now) this.leases.delete(lease.id);
      else if (!lease.expired && lease.expiresAt <= now) {
        lease.expired = true;
        this.addTask(lease.issued);
      }
    }
    for (let i = this.open.length - 1; i >= 0; i--) if ((this.open[i]?.task.deadline ?? Infinity) <= now) this.open.splice(i, 1);
    // Bounded memory for a devnet that runs for weeks inside the app.
    for (const [taskId, outcome] of this.outcomes) {
      if (outcome.deadline + OUTCOME_GRACE_MS > now) continue;
      this.outcomes.delete(taskId);
      this.stats.accepted.delete(taskId);
    }
  }
}
