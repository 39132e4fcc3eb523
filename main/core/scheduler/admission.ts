/** Queue and admission: how a task gets in (parsed, runnable here, prepared in the background) and when it is leased. */
import { errorText, fail, ok, type Result } from '../../common/result.js';
import { TaskSchema, type Task } from '../../common/task.js';
import type { Prepared } from '../runtime/runtime.js';
import type { Queued } from './queue.js';
import { concurrency, PIPELINE_DEPTH, type SchedulerState } from './state.js';

/** Queued, or why not (the task itself has been released with its reason meanwhile). */
export type Admitted = Result<true, 'refused'>;

const EXPIRED = 'its deadline passed before it could start';

/** A task from anywhere untrusted (API, devnet, tests): parsed here; a bad one is released as 'invalid-task'. */
export function submit(state: SchedulerState, raw: unknown): Admitted {
  const parsed = TaskSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === 'object' && raw && 'id' in raw && typeof raw.id === 'string' ? raw.id : undefined;
    const message = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'task'}: ${issue.message}`).join('; ');
    if (id) void Promise.resolve(state.options.sink.release(id, 'invalid-task', message)).catch(() => undefined);
    return fail('refused', message);
  }
  return enqueue(state, parsed.data);
}

export function enqueue(state: SchedulerState, task: Task): Admitted {
  if (state.closed) return fail('refused', 'scheduler closed');
  if (state.known.has(task.id)) return fail('refused', `task ${task.id} is already here`);
  if (task.deadline <= state.options.clock.now()) {
    void Promise.resolve(state.options.sink.release(task.id, 'expired', EXPIRED)).catch(() => undefined);
    return fail('refused', EXPIRED);
  }
  if (!state.runnable(task)) {
    void Promise.resolve(state.options.sink.release(task.id, 'invalid-task', `no ${task.device} device here`)).catch(() => undefined);
    return fail('refused', `no ${task.device} device here`);
  }
  state.known.add(task.id);
  prepare(state, state.queue.add(task));
  state.changed();
  state.emit();
  return ok(true);
}

/** Downloads the model and decodes inputs in the background; the entry waits in the queue meanwhile. */
export function prepare(state: SchedulerState, entry: Queued): void {
  void state.options.runtime
    .prepare(entry.task)
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
          tasks.forEach((task) => enqueue(state, task));
          if (tasks.length === 0 && !state.closed) retryLater();
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
