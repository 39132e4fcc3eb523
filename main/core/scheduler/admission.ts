/** Queue and admission: how a leased task gets in (runnable here, prepared in the background) and when tasks are leased. */
import { errorText, fail } from '../../common/result.js';
import type { ReleaseReason, Task } from '../../common/task.js';
import type { Prepared } from '../runtime/runtime.js';
import type { Queued } from './queue.js';
import { concurrency, PIPELINE_DEPTH, type SchedulerState } from './state.js';

const EXPIRED = 'its deadline passed before it could start';

/** Gives a task that never joined the queue back to the network, with why. */
const giveBack = (state: SchedulerState, task: Task, reason: ReleaseReason, message: string): false => {
  void Promise.resolve(state.options.sink.release(task.id, reason, message)).catch(() => undefined);
  return false;
};

/**
 * A leased task (parsed at the network boundary) joins the queue, or not: one already here does not; one past its
 * deadline, for a device this machine lacks, or leased while the scheduler was closing is given back with the reason.
 * Says whether it joined.
 */
export function enqueue(state: SchedulerState, task: Task): boolean {
  if (state.known.has(task.id)) return false;
  // A lease answered after close (a long-poll under way when the agent quit) would otherwise hold the task until its
  // lease expired at the coordinator.
  if (state.closed) return giveBack(state, task, 'shutdown', 'the agent is shutting down');
  if (task.deadline <= state.options.clock.now()) return giveBack(state, task, 'expired', EXPIRED);
  if (!state.runnable(task)) return giveBack(state, task, 'invalid-task', `no ${task.device} device here`);
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
 * network can give them to a device that is working (running ones are stopped, and go back after maxPauseMs).
 * Devices the policy has not decided for yet keep theirs.
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

/** Leases as many tasks as the running lanes have room for (hosts × pipeline depth), one lease at a time. */
export class Leasing {
  private leasing = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly state: SchedulerState) {}

  pull(): void {
    const { state } = this;
    const { source, logger } = state.options;
    if (!source || this.leasing || state.closed) return;
    const room = [...state.lanes.values()]
      .filter((lane) => lane.decision.run && !lane.broken)
      .reduce((sum, lane) => sum + concurrency(lane) * PIPELINE_DEPTH, 0);
    const slots = room - state.known.size;
    if (slots <= 0) return;
    this.leasing = true;
    const retryLater = (): void => void (this.retryTimer = setTimeout(state.pump, state.options.leaseRetryMs ?? 5000).unref());
    source
      .lease(slots)
      .then(
        (tasks) => {
          // An answer that brought nothing in (no task, or only ones given straight back) is asked again later:
          // nothing else would pump the scheduler while it holds no work.
          const admitted = tasks.filter((task) => enqueue(state, task)).length;
          if (admitted === 0 && !state.closed) retryLater();
        },
        (error: unknown) => {
          logger.warn(`lease failed: ${String(error)}`);
          retryLater();
        },
      )
      .finally(() => {
        this.leasing = false;
      });
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }
}
