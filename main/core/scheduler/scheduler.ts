/**
 * Local scheduler: runs the network's tasks on this machine's devices, inside the limits the policy engine sets.
 * - Tasks arrive from the TaskSource (leased when a running device has room, less often while its answers bring
 *   nothing in: leasing.ts); each ends in exactly one ResultSink complete() or release().
 * - Queue and admission (queue.ts, admission.ts): priority, then deadline, then arrival; admission by the memory
 *   (GPU: VRAM) estimate against the budget. A task past its deadline is never started ('expired'), one that can
 *   never fit the budget goes back at once ('invalid-task'), and a paused device gives its queued tasks back at once
 *   ('policy-pause').
 * - Dispatch and batching (dispatch.ts): one lane per device, `concurrency` job hosts each; a host keeps warm
 *   sessions and takes the next job of the same model before the current one ends, so bytes travel while it computes.
 * - Enforcement (enforcement.ts) of the policy's Decision, kept as decide() made it: run:false SIGSTOPs the lane's
 *   hosts at once (released as 'policy-pause' after maxPauseMs, or at once when the user turned sharing off);
 *   dutyCycle meters a CPU job's measured CPU time with SIGSTOP/SIGCONT and paces GPU runs; threads go to onnxruntime;
 *   priority to the OS; memoryBudgetBytes kills a host whose RSS exceeds it. A CPU lane's host with no job waits
 *   stopped too (applyStop).
 * - Failures (failure-policy.ts, recovery.ts): a crashed or hung host is restarted and its task retried up to
 *   maxRetries; task faults are released.
 * - Snapshot (snapshot.ts): states, progress and ETA for the UI.
 * This file composes them: the pump that runs whatever can run, the ticker, cancel and close.
 */
import { releaseExpiredQueued, releaseNeverRunnable, releaseWhilePaused } from './admission.js';
import { dispatchReady } from './dispatch.js';
import { applyDecision, enforceDeadlinesAndPauses, enforceRunning, metering } from './enforcement.js';
import { Leasing } from './leasing.js';
import { snapshot } from './snapshot.js';
import { SchedulerState } from './state.js';
import type { Scheduler, SchedulerOptions } from './types.js';

export type { DeviceLane, LaneView, ResultSink, Scheduler, SchedulerOptions, SchedulerSnapshot, TaskSource, TaskView } from './types.js';

export function createScheduler(options: SchedulerOptions): Scheduler {
  const state = new SchedulerState(options);
  const leasing = new Leasing(state);
  const unknownDevices = new Set<string>();
  let jobSeq = 0;
  let tickTimer: NodeJS.Timeout | undefined;

  function pump(): void {
    if (state.closed) return;
    // Expired, paused-away and never-fitting tasks leave before dispatch, so none of them starts.
    releaseExpiredQueued(state);
    releaseWhilePaused(state);
    releaseNeverRunnable(state);
    dispatchReady(state, () => `j${++jobSeq}`);
    enforceDeadlinesAndPauses(state);
    leasing.pull();
    schedule();
    state.emit();
  }
  state.pump = pump;

  /** The ticker runs only while there is work: 10 ms while a CPU share is being metered, 100 ms otherwise. */
  function schedule(): void {
    clearTimeout(tickTimer);
    tickTimer = undefined;
    if (state.closed || (state.jobs.size === 0 && state.queue.size === 0)) return;
    tickTimer = setTimeout(tick, metering(state) ? 10 : 100).unref();
  }
  function tick(): void {
    enforceRunning(state);
    pump();
  }

  /** Drops a task without sending anything (its lease is gone); a job running only that task is stopped. */
  function cancel(taskId: string): void {
    if (!state.known.has(taskId)) return;
    const queued = state.queue.matching((entry) => entry.task.id === taskId)[0];
    state.cancelled.add(taskId);
    if (queued) {
      state.queue.remove(queued);
      state.finish(queued, { reason: 'shutdown', message: 'cancelled' });
      return state.emit();
    }
    const job = [...state.jobs.values()].find((candidate) => candidate.entries.some((entry) => entry.task.id === taskId));
    if (job?.entries.every((entry) => state.cancelled.has(entry.task.id))) job.host.kill('preempted', `task ${taskId} cancelled`);
  }

  async function close(): Promise<void> {
    state.closed = true;
    clearTimeout(tickTimer);
    leasing.stop();
    const exits: Promise<unknown>[] = [];
    for (const lane of state.lanes.values())
      for (const host of lane.hosts.keys()) {
        exits.push(host.exited);
        host.kill('shutdown', 'agent shutting down');
      }
    for (const entry of state.queue.all()) {
      state.queue.remove(entry);
      state.finish(entry, { reason: 'shutdown', message: 'agent shutting down' });
    }
    await Promise.all(exits);
    await new Promise(setImmediate); // let the killed jobs' releases run
  }

  return {
    apply(decision) {
      const applied = decision.devices.map((device) => applyDecision(state, device, unknownDevices));
      if (applied.some(Boolean)) pump();
    },
    cancel,
    snapshot: () => snapshot(state),
    close,
    onChange: (listener) => state.listen(listener),
  };
}
