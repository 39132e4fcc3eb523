import {
  HeartbeatReplySchema,
  LeaseReplySchema,
  ReleaseReplySchema,
  ROUTES,
  type ComputeResource,
  type NoWorkReason,
} from '../../common/protocol.js';
import type { Failure } from '../../common/result.js';
import type { ReleaseReason, Task } from '../../common/task.js';
import type { Emitter } from '../events.js';
import type { LeaseOutcome, NetworkEvent } from './client-types.js';
import { NetworkError } from './http.js';
import type { CoordinatorLink } from './link.js';

interface ActiveLease {
  task: Task;
  progress: number;
  timer: NodeJS.Timeout;
}

export interface LeasingOptions {
  link: CoordinatorLink;
  events: Emitter<NetworkEvent>;
  /** What this machine leases unless told otherwise: the kind it registered as (the lease decides the pay). */
  resource: ComputeResource;
  leaseWaitMs: number;
  requestTimeoutMs: number;
  minLeaseIntervalMs: number;
  /** Why no task should be leased now, or null. */
  blocked: () => LeaseBlock | null;
  changed: () => void;
}

/** Why this client leases nothing now (results it cannot save, too many waiting to be sent), told as the coordinator's 'paused'. */
export type LeaseBlock = Failure<'paused'>;

export const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** What helps when work keeps running out of time: said with each notice of work not paid for that reason. */
export const KEEP_AWAKE = 'If this happens often, keep the computer awake and online while it shares.';

/** Leases in hand: the long-poll for a task, heartbeats while it runs, and giving it back. */
export class Leasing {
  private readonly leases = new Map<string, ActiveLease>();
  /** Why the coordinator (or this client) has no work now, for the status line; null while there is. */
  noWork: Failure<NoWorkReason> | null = null;
  /** Leases in a row that ended with no result taken (gone, too late): a coordinator with 1 ms leases is not stormed. */
  private lostInARow = 0;
  private lastLeaseAt = Number.NEGATIVE_INFINITY;
  /** Whether the user was told of a task taken back unfinished since a result was last taken: once, not per lease. */
  private toldGone = false;

  constructor(private readonly o: LeasingOptions) {}

  get active(): number {
    return this.leases.size;
  }

  /** A lease ended with no result taken: the next lease waits twice as long (up to 30 s). */
  lost(): void {
    this.lostInARow++;
  }

  /** A result was taken: leasing goes back to its normal pace. */
  taken(): void {
    this.lostInARow = 0;
    this.toldGone = false;
  }

  async lease(signal?: AbortSignal, resource = this.o.resource): Promise<LeaseOutcome> {
    const { link } = this.o;
    const blocked = this.o.blocked();
    if (blocked) {
      this.noWork = blocked;
      this.o.changed();
      return { kind: 'none', reason: blocked.code, message: blocked.message, retryAfterMs: 5_000 };
    }
    const wait = this.lastLeaseAt + Math.min(30_000, this.o.minLeaseIntervalMs * 2 ** Math.min(this.lostInARow, 8)) - performance.now();
    if (wait > 0) await pause(wait, signal ?? AbortSignal.any([]));
    this.lastLeaseAt = performance.now();
    try {
      const waitMs = Math.min(this.o.leaseWaitMs, link.info?.maxLeaseWaitMs ?? this.o.leaseWaitMs);
      const reply = await link.authed(() =>
        link.call(
          ROUTES.lease,
          LeaseReplySchema,
          'POST',
          { waitMs, resource },
          {
            timeoutMs: this.o.leaseWaitMs + this.o.requestTimeoutMs,
            ...(signal ? { signal } : {}),
            // The task's inputs as raw bytes where the coordinator can send them so: no base64 in JSON.
            frames: link.info?.leaseFrames === true,
          },
        ),
      );
      if (reply.kind === 'none') {
        this.noWork = { code: reply.reason, message: reply.message };
        this.o.changed();
        return { kind: 'none', reason: reply.reason, message: reply.message, retryAfterMs: reply.retryAfterMs };
      }
      this.noWork = null;
      // Deadlines are coordinator time; the scheduler compares them with this machine's clock.
      const task: Task = { ...reply.task, deadline: link.toLocal(reply.task.deadline) };
      const every = Math.max(250, Math.floor(reply.leaseTtlMs / 3));
      this.stop(reply.leaseId); // the same lease answered again: one heartbeat for it, not one more each time
      const timer = setInterval(() => void this.heartbeat(reply.leaseId), every);
      timer.unref();
      this.leases.set(reply.leaseId, { task, progress: 0, timer });
      this.o.events.emit({ type: 'leased', leaseId: reply.leaseId, taskId: task.id });
      this.o.changed();
      return { kind: 'task', leaseId: reply.leaseId, task };
    } catch (error) {
      return link.failed(error);
    }
  }

  progress(leaseId: string, fraction: number): void {
    const lease = this.leases.get(leaseId);
    if (lease) lease.progress = Math.min(1, Math.max(0, fraction));
  }

  /** Stops beating for a lease (its result is in, or it is given back); returns what it was. */
  stop(leaseId: string): { task: Task } | undefined {
    const lease = this.leases.get(leaseId);
    if (lease) clearInterval(lease.timer);
    this.leases.delete(leaseId);
    return lease;
  }

  stopAll(): void {
    for (const id of [...this.leases.keys()]) this.stop(id);
  }

  /** Gives a task back; a failure shows in the status (the lease expires by itself). */
  async release(leaseId: string, reason: ReleaseReason, message: string): Promise<void> {
    this.stop(leaseId);
    this.o.changed();
    try {
      await this.giveBack(leaseId, reason, message);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      this.o.link.noteFailure(error, { keepRetry: true });
    }
  }

  /** The release call itself, for callers that handle its failure their own way. */
  giveBack(leaseId: string, reason: ReleaseReason, message: string): Promise<unknown> {
    const { link } = this.o;
    return link.authed(() => link.call(ROUTES.release, ReleaseReplySchema, 'POST', { leaseId, reason, message: message.slice(0, 500) }));
  }

  /** Work stopped and not paid leaves a trace the user sees, with what helps. */
  private tellGone(): void {
    if (this.toldGone) return;
    this.toldGone = true;
    this.o.events.emit({
      type: 'problem',
      message: `The network took a task back before this computer finished it, because its time ran out. The work on it stopped and is not paid. ${KEEP_AWAKE}`,
    });
  }

  private async heartbeat(leaseId: string): Promise<void> {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    try {
      const reply = await this.o.link.call(ROUTES.heartbeat(leaseId), HeartbeatReplySchema, 'POST', { progress: lease.progress });
      this.o.events.emit({ type: 'heartbeat', leaseId, status: reply.status });
      if (reply.status === 'gone' && this.leases.has(leaseId)) {
        this.lost();
        this.stop(leaseId);
        this.o.events.emit({ type: 'gone', leaseId, taskId: lease.task.id });
        this.tellGone();
        this.o.changed();
      }
    } catch (error) {
      // The next beat tries again; meanwhile the status says why.
      this.o.link.noteFailure(error, { keepRetry: true });
    }
  }
}
