/** What the scheduler shows: each lane's limits and job host pids, each task's state with progress and ETA. */
import type { Queued } from './queue.js';
import type { Job, SchedulerState } from './state.js';
import type { SchedulerSnapshot, TaskView } from './types.js';

/** Progress and ETA come from the model's measured ms per row, scaled by the lane's duty cycle. */
function taskView(state: SchedulerState, entry: Queued, taskState: TaskView['state'], device: string | undefined, job?: Job): TaskView {
  const perRow = state.msPerRow.get(entry.task.model.sha256);
  const expected =
    perRow !== undefined && job ? perRow * job.entries.reduce((rows, other) => rows + (other.prepared?.rows ?? 1), 0) : undefined;
  const progress = expected !== undefined && job ? Math.min(0.99, job.activeMs / Math.max(1, expected)) : undefined;
  const duty = job ? Math.max(0.01, job.lane.decision.limits.dutyCycle) : 1;
  return {
    id: entry.task.id,
    state: taskState,
    device,
    priority: entry.task.priority,
    deadline: entry.task.deadline,
    rewardEstimateWei: entry.task.rewardEstimateWei,
    modelName: entry.task.model.name,
    modelBytes: entry.task.model.size,
    attempts: entry.attempts,
    progress,
    etaMs: expected !== undefined && job ? Math.max(0, expected - job.activeMs) / duty : undefined,
  };
}

export function snapshot(state: SchedulerState): SchedulerSnapshot {
  const tasks: TaskView[] = [];
  for (const job of state.jobs.values()) {
    // Stopped by the CPU-share meter is still running, at its share; 'suspended' is paused or preempted.
    const suspended = job.lane.pausedAt !== undefined || job.lane.hosts.get(job.host)?.preempted;
    const jobState = !job.started ? 'queued' : suspended ? 'suspended' : 'running';
    for (const entry of job.entries) tasks.push(taskView(state, entry, jobState, job.lane.spec.id, job));
  }
  for (const entry of state.queue.all()) tasks.push(taskView(state, entry, entry.prepared ? 'queued' : 'preparing', undefined));
  return {
    lanes: [...state.lanes.values()].map((lane) => ({
      id: lane.spec.id,
      run: lane.decision.run,
      limits: lane.decision.limits,
      pids: [...lane.hosts.keys()].map((host) => host.pid),
      busyMs:
        lane.busyMs + [...state.jobs.values()].filter((job) => job.lane === lane && job.started).reduce((ms, job) => ms + job.activeMs, 0),
      notice: lane.notice,
      finished: lane.finished,
      operations: lane.operations,
    })),
    tasks,
  };
}
