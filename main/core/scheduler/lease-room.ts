/**
 * How many tasks the scheduler leases: enough for a job on each running host and PIPELINE_DEPTH − 1 behind it. A job
 * is one task, or, for a model that batches, a micro-batch of up to maxBatch tasks: while every task held is of such
 * a model, leasing goes on until each of those jobs could be a full batch, as long as what the tasks held need fits
 * the memory the user shares with the network. (Counting one task a job capped every batch at PIPELINE_DEPTH.)
 */
import { DTYPE_BYTES, type Task } from '../../common/task.js';
import { concurrency, PIPELINE_DEPTH, type SchedulerState } from './state.js';

/** A held task's memory: what it declares it needs to run, and its inputs, which it holds from lease to result. */
const heldBytes = (task: Task): number =>
  Object.values(task.inputs).reduce(
    (sum, input) => sum + input.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[input.dtype],
    task.memoryEstimateBytes,
  );

/** The tasks this device holds: queued (preparing or ready) and in jobs. */
function held(state: SchedulerState): Task[] {
  const tasks = state.queue.all().map((entry) => entry.task);
  for (const job of state.jobs.values()) tasks.push(...job.entries.map((entry) => entry.task));
  return tasks;
}

/**
 * Tasks to lease now (0 or less: none). Beyond one task a job, only as many as fit the lanes' memory budgets if each
 * is the size of those held (the next task's size is known only once it is leased).
 */
export function leaseRoom(state: SchedulerState): number {
  const lanes = [...state.lanes.values()].filter((lane) => lane.decision.run && !lane.broken);
  const jobs = lanes.reduce((sum, lane) => sum + concurrency(lane) * PIPELINE_DEPTH, 0);
  const tasks = held(state);
  const batching = state.maxBatch > 1 && tasks.length > 0 && tasks.every((task) => state.batchable.get(task.model.sha256) === true);
  if (!batching) return jobs - state.known.size;
  const bytes = tasks.reduce((sum, task) => sum + heldBytes(task), 0);
  const free = lanes.reduce((sum, lane) => sum + state.budget(lane), 0) - bytes;
  const fit = bytes === 0 ? Infinity : Math.floor((free * tasks.length) / bytes);
  return Math.max(jobs, Math.min(jobs * state.maxBatch, tasks.length + fit)) - state.known.size;
}
