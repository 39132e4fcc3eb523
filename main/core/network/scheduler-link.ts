import type { ReleaseReason, Task, TaskResult } from '../../common/task.js';
import type { Logger } from '../ports.js';
import type { NetworkClient } from './client.js';
import { backoffMs, NetworkError } from './http.js';

/**
 * The client as the scheduler's task source and result sink (main/core/scheduler: TaskSource/ResultSink), which
 * speak task ids; the protocol speaks lease ids. Failures back off exponentially (with jitter) before the error
 * reaches the scheduler, so its fixed retry timer does not hammer an unreachable coordinator.
 */
export interface SchedulerLink {
  source: { lease(slots: number): Promise<readonly Task[]> };
  sink: {
    complete(result: TaskResult): Promise<void>;
    release(taskId: string, reason: ReleaseReason, message: string): Promise<void>;
  };
  /** Task ids whose lease the coordinator reported gone: the scheduler may drop them. */
  onGone(listener: (taskId: string) => void): () => void;
}

export function linkScheduler(client: NetworkClient, logger: Logger, random: () => number = Math.random): SchedulerLink {
  const leaseOf = new Map<string, string>();
  let failures = 0;
  const withLease = (taskId: string, what: string): string | undefined => {
    const leaseId = leaseOf.get(taskId);
    if (!leaseId) logger.warn(`${what} for task ${taskId}, which this device does not hold a lease for; ignored`);
    leaseOf.delete(taskId);
    return leaseId;
  };
  return {
    source: {
      async lease(slots) {
        if (slots <= 0) return [];
        try {
          const outcome = await client.lease();
          failures = 0;
          if (outcome.kind === 'none') return [];
          leaseOf.set(outcome.task.id, outcome.leaseId);
          return [outcome.task];
        } catch (error) {
          if (error instanceof NetworkError) {
            const wait = backoffMs(failures++, random, 1_000, 5 * 60_000);
            await new Promise((resolve) => setTimeout(resolve, wait).unref());
          }
          throw error;
        }
      },
    },
    sink: {
      async complete(result) {
        const leaseId = withLease(result.taskId, 'a result');
        if (leaseId) await client.complete(leaseId, result);
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
