/** Queue and admission: how a leased task gets in (runnable here, prepared in the background) and what leaves unrun. */
import { errorText, fail, type Failure } from '../../common/result.js';
import type { ReleaseReason, Task } from '../../common/task.js';
import type { Prepared } from '../runtime/runtime.js';
import type { Queued } from './queue.js';
import type { SchedulerState } from './state.js';

const EXPIRED = 'its deadline passed before it could start';

/** Gives a task that never joined the queue back to the network, with why. */
const giveBack = (state: SchedulerState, task: Task, reason: ReleaseReason, message: string): false => {
  void Promise.resolve(state.options.sink.release(task.id, reason, message)).catch(() => undefined);
  return false;
};

const size = (bytes: number): string =>
  bytes < 1024 ** 3 ? `${Math.round(bytes / 1024 ** 2)} MiB` : `${Math.round(bytes / 1024 ** 3).toLocaleString('en-US')} GiB`;

/**
 * Why a task can never run here, or null while it may: no device here runs its kind, or it declares more memory (on a
 * GPU: graphics memory) than the whole budget, at the user's settings, of every device that could run it. Memory that
 * other tasks hold does not count (that task waits for them); nor does a device the policy has not decided for yet.
 */
function neverRuns(state: SchedulerState, task: Task): Failure<'invalid-task'> | null {
  const able = [...state.lanes.values()].filter((lane) => state.fits(lane, task));
  if (able.length === 0) return { code: 'invalid-task', message: `no ${task.device} device here` };
  if (able.some((lane) => !lane.decided)) return null;
  const most = Math.max(...able.map((lane) => state.budget(lane)));
  if (task.memoryEstimateBytes <= most) return null;
  return {
    code: 'invalid-task',
    message: `it needs ${size(task.memoryEstimateBytes)} of memory, and this computer shares at most ${size(most)} with the network`,
  };
}

/**
 * A leased task (parsed at the network boundary) joins the queue, or not: one already here does not; one past its
 * deadline, one that can never run here, or one leased while the scheduler was closing is given back with the reason
 * at once, so its lease is not held. Says whether it joined.
 */
export function enqueue(state: SchedulerState, task: Task): boolean {
  if (state.known.has(task.id)) return false;
  // A lease answered after close (a long-poll under way when the agent quit) would otherwise hold the task until its
  // lease expired at the coordinator.
  if (state.closed) return giveBack(state, task, 'shutdown', 'the agent is shutting down');
  if (task.deadline <= state.options.clock.now()) return giveBack(state, task, 'expired', EXPIRED);
  const never = neverRuns(state, task);
  if (never) return giveBack(state, task, never.code, never.message);
  state.known.add(task.id);
  prepare(state, state.queue.add(task));
  state.changed();
  state.emit();
  return true;
}

/**
 * Downloads the model and decodes inputs in the background; the entry waits in the queue meanwhile. Its downloads stop
 * when it leaves (state.finish: released, cancelled, or its coordinator replaced).
 */
export function prepare(state: SchedulerState, entry: Queued): void {
  entry.preparing = new AbortController();
  void state.options.runtime
    .prepare(entry.task, entry.preparing.signal)
    .catch((error: unknown): Prepared => fail('runtime-error', `could not prepare the task: ${errorText(error)}`))
    .then((prepared) => {
      if (!state.known.has(entry.task.id)) return prepared.ok && prepared.value.release(); // released while preparing
      if (!prepared.ok) {
        state.queue.remove(entry);
        state.finish(entry, { reason: prepared.error.code, message: prepared.error.message });
        return state.emit();
      }
      entry.prepared = prepared.value;
      state.changed();
      state.pump();
    });
}

/** Queued tasks whose deadline passed are not started; they go back as 'expired' (the network has moved on). */
export function releaseExpiredQueued(state: SchedulerState): void {
  const at = state.options.clock.now();
  for (const entry of state.queue.matching((queued) => queued.task.deadline <= at)) {
    state.queue.remove(entry);
    state.finish(entry, { reason: 'expired', message: EXPIRED });
  }
}

/**
 * A paused device holds no waiting work: queued tasks that only paused devices could run go back at once, so the
 * network can give them to a device that is working (running ones are stopped, and go back after maxPauseMs, or at
 * once when the user turned sharing off: enforcement.ts). Devices the policy has not decided for yet keep theirs.
 */
export function releaseWhilePaused(state: SchedulerState): void {
  const lanes = [...state.lanes.values()];
  const held = (entry: Queued): boolean => {
    const able = lanes.filter((lane) => state.fits(lane, entry.task));
    return able.length > 0 && able.every((lane) => lane.decided && !lane.decision.run);
  };
  for (const entry of state.queue.matching(held)) {
    state.queue.remove(entry);
    state.finish(entry, { reason: 'policy-pause', message: 'sharing is paused on this computer' });
  }
}

/** Queued tasks that can no longer run here (the user lowered the memory share, a device's budget became known). */
export function releaseNeverRunnable(state: SchedulerState): void {
  for (const entry of state.queue.all()) {
    const never = neverRuns(state, entry.task);
    if (!never) continue;
    state.queue.remove(entry);
    state.finish(entry, { reason: never.code, message: never.message });
  }
}
