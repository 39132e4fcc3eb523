/** What happens to each task of a job that failed: a pure function of the failure and the task's history. */
import type { ReleaseReason } from '../../common/task.js';
import type { HostFailure } from '../runtime/host.js';

export interface FailedTask {
  /** The network no longer wants it. */
  cancelled: boolean;
  /** Its job waited behind another on the same host and never started: the one that took the host down is to blame. */
  waitedBehind: boolean;
  /** Its own deadline is still ahead (a 'deadline' kill was for another task of the batch). */
  deadlineAhead: boolean;
  /** It ran in a batch with others. */
  batched: boolean;
  attempts: number;
}

export type FailureAction =
  /** Back in the queue. `alone`: run it by itself from now on; `redownload`: fetch the model again first. */
  | { kind: 'requeue'; attempts: number; alone: boolean; redownload: boolean; retryNote: string | undefined }
  /** `forgetModel`: the cached model is damaged; drop it. */
  | { kind: 'release'; reason: ReleaseReason; message: string; forgetModel?: true };

const HOST_WIDE: ReadonlySet<HostFailure> = new Set(['host-crashed', 'timeout', 'memory-budget', 'deadline', 'preempted']);

const requeue = (attempts: number, more: Partial<Extract<FailureAction, { kind: 'requeue' }>> = {}): FailureAction => ({
  kind: 'requeue',
  attempts,
  alone: false,
  redownload: false,
  retryNote: undefined,
  ...more,
});

/** The reason the network hears for a failure nothing here can fix. */
function releaseReason(code: HostFailure): ReleaseReason {
  if (code === 'bad-input' || code === 'bad-request') return 'invalid-task';
  if (code === 'model-invalid' || code === 'input-unavailable') return 'model-unavailable';
  if (code === 'policy-pause' || code === 'deadline' || code === 'shutdown') return code;
  return 'runtime-error';
}

export function failureAction(code: HostFailure, message: string, task: FailedTask, maxRetries: number): FailureAction {
  if (task.cancelled) return { kind: 'release', reason: 'shutdown', message: 'cancelled' };
  if (HOST_WIDE.has(code) && (task.waitedBehind || (code === 'deadline' && task.deadlineAhead))) return requeue(task.attempts);
  // One task may have spoiled the batch: run each alone.
  if (task.batched && (code === 'bad-input' || code === 'run-failed')) return requeue(task.attempts, { alone: true });
  const retry = (attempts: number): FailureAction =>
    attempts > maxRetries
      ? { kind: 'release', reason: 'runtime-error', message: `gave up after ${attempts} attempts: ${message}` }
      : requeue(attempts, { retryNote: `retrying (attempt ${attempts + 1}) after: ${message}` });
  if (code === 'host-crashed' || code === 'timeout') return retry(task.attempts + 1);
  if (code === 'preempted' || code === 'provider-unavailable') return retry(task.attempts);
  if (code === 'model-corrupt')
    return task.attempts + 1 > maxRetries
      ? { kind: 'release', reason: 'model-unavailable', message, forgetModel: true }
      : requeue(task.attempts + 1, { redownload: true });
  return { kind: 'release', reason: releaseReason(code), message };
}
