/** Carries out the failure policy for a failed job's tasks, and takes a device whose provider fails here out of service. */
import { prepare } from './admission.js';
import { failureAction } from './failure-policy.js';
import type { Failure } from '../../common/result.js';
import type { HostFailure } from '../runtime/host.js';
import type { Job, Lane, SchedulerState } from './state.js';

export function recover(state: SchedulerState, job: Job, failure: Failure<HostFailure>): void {
  const { code, message } = failure;
  const { clock, logger, runtime } = state.options;
  for (const entry of job.entries) {
    const action = failureAction(
      code,
      message,
      {
        cancelled: state.cancelled.has(entry.task.id),
        waitedBehind: !job.started && job.behind,
        deadlineAhead: entry.task.deadline > clock.now(),
        batched: job.entries.length > 1,
        attempts: entry.attempts,
      },
      state.maxRetries,
    );
    const forgetModel = action.kind === 'requeue' ? action.redownload : action.forgetModel === true;
    if (forgetModel) {
      void runtime.cache.remove(entry.task.model.sha256, message);
      entry.prepared?.release();
      entry.prepared = undefined;
    }
    if (action.kind === 'release') {
      state.finish(entry, action);
      continue;
    }
    entry.attempts = action.attempts;
    if (action.alone) entry.alone = true;
    if (action.retryNote) logger.warn(`task ${entry.task.id}: ${action.retryNote}`);
    state.queue.requeue(entry);
    if (action.redownload) prepare(state, entry);
  }
  if (code === 'provider-unavailable') disable(state, job.lane, message); // after its tasks went back to the queue
}

/**
 * The device's provider does not work here: say so once; its queued tasks go to devices that can run them, and
 * back to the network where none can. With no GPU left, the processor leases processor work (state.leaseResource).
 */
function disable(state: SchedulerState, lane: Lane, why: string): void {
  if (lane.broken) return;
  lane.broken = why;
  const lanes = [...state.lanes.values()];
  const gpu = lanes.some((other) => other.spec.kind === 'gpu' && !other.broken);
  const cpu = lanes.some((other) => other.spec.kind === 'cpu');
  const next = gpu
    ? 'its tasks run on the other GPUs'
    : `its tasks go back to the network${cpu ? ' and the processor takes processor work instead, within the CPU limits' : ''}`;
  lane.notice = `${lane.spec.name ?? lane.spec.id}: ${why}; ${next}`;
  state.options.logger.warn(`device ${lane.spec.id}: ${lane.notice}`);
  for (const slot of lane.hosts.values()) if (slot.jobs.length === 0) slot.host.kill('shutdown', why);
  const reasons = lanes.flatMap((other) => (other.broken ? [other.broken] : [])).join('; ');
  for (const entry of state.queue.matching((queued) => !state.runnable(queued.task))) {
    state.queue.remove(entry);
    state.finish(entry, { reason: 'runtime-error', message: `no ${entry.task.device} device here can run it: ${reasons}` });
  }
  state.changed();
}
