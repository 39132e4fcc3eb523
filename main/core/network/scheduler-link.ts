import type { ComputeResource } from '../../common/protocol.js';
import type { ReleaseReason, Task, TaskResult } from '../../common/task.js';
import type { Logger } from '../ports.js';
import type { NetworkClient } from './client.js';

/**
 * The client as the scheduler's task source and result sink (main/core/scheduler: TaskSource/ResultSink), which
 * speak task ids; the protocol speaks lease ids. A failed lease reaches the scheduler as it is, and the scheduler
 * waits longer after each answer that brought nothing in (scheduler/leasing.ts).
 */
export interface SchedulerLink {
  source: { lease(slots: number, resource: ComputeResource): Promise<readonly Task[]> };
  sink: {
    complete(result: TaskResult): Promise<void>;
    release(taskId: string, reason: ReleaseReason, message: string): Promise<void>;
  };
  /** Task ids whose lease the coordinator reported gone: the scheduler may drop them. */
  onGone(listener: (taskId: string) => void): () => void;
}

/** Tasks whose result this device sent lately, remembered so a coordinator repeating one does not get it run again. */
const REMEMBERED = 1000;

export function linkScheduler(client: NetworkClient, logger: Logger): SchedulerLink {
  const leaseOf = new Map<string, string>();
  /** Task id → the lease its result went out under, oldest first (a Map keeps insertion order). */
  const sentUnder = new Map<string, string>();
  const withLease = (taskId: string, what: string): string | undefined => {
    const leaseId = leaseOf.get(taskId);
    if (!leaseId) logger.warn(`${what} for task ${taskId}, which this device does not hold a lease for; ignored`);
    leaseOf.delete(taskId);
    return leaseId;
  };
  return {
    source: {
      async lease(slots, resource) {
        if (slots <= 0) return [];
        const outcome = await client.lease(undefined, resource);
        if (outcome.kind === 'none') return [];
        const { task, leaseId } = outcome;
        const held = leaseOf.get(task.id) ?? sentUnder.get(task.id);
        if (held === undefined) {
          leaseOf.set(task.id, leaseId);
          return [task];
        }
        // A task leased again, one this device holds or has sent the result of: the scheduler does not get it twice,
        // nor runs it twice. A new lease for it goes straight back, so none is held for nothing (the same lease is
        // the one it runs under, or its result's); the scheduler sees an answer that brought nothing in, and waits.
        if (held !== leaseId)
          await client
            .release(leaseId, 'invalid-task', `this device already has task ${task.id} under another lease`)
            .catch((error: unknown) => logger.warn(`could not give back a repeated lease of task ${task.id}: ${String(error)}`));
        return [];
      },
    },
    sink: {
      async complete(result) {
        const leaseId = withLease(result.taskId, 'a result');
        if (!leaseId) return;
        sentUnder.set(result.taskId, leaseId);
        const oldest = sentUnder.keys().next().value;
        if (sentUnder.size > REMEMBERED && oldest !== undefined) sentUnder.delete(oldest);
        await client.complete(leaseId, result);
      },
      async release(taskId, reason, message) {
        const leaseId = withLease(taskId, 'a release');
        if (leaseId) await client.release(leaseId, reason, message);
      },
    },
    onGone: (listener) =>
      client.subscribe((e) => {
        if (e.type === 'gone') {
          leaseOf.delete(e.taskId);
          listener(e.taskId);
        }
      }),
  };
}
