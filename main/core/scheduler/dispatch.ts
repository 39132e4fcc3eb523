/**
 * Dispatch and batching: picks a host for the best queued task (an idle one, a new one, pipelining behind the same
 * model, or preempting lower-priority work), gathers a micro-batch, runs it, and splits the results back per task.
 */
import type { RunRequest } from '../runtime/host-protocol.js';
import type { HostOutcome } from '../runtime/host.js';
import { canSuspend } from '../runtime/process-control.js';
import { batchKey, splitOutput, stackFeeds, type PreparedTask } from '../runtime/runtime.js';
import { applyStop } from './enforcement.js';
import type { Queued } from './queue.js';
import { recover } from './recovery.js';
import {
  activeHosts,
  concurrency,
  minPriority,
  now,
  PIPELINE_DEPTH,
  type HostSlot,
  type Job,
  type Lane,
  type SchedulerState,
} from './state.js';

/** Starts every queued, prepared task that a running lane has room and memory for. */
export function dispatchReady(state: SchedulerState, nextJobId: () => string): void {
  for (const lane of state.lanes.values()) {
    if (!lane.decision.run || lane.broken) continue;
    resumePreempted(state, lane);
    for (;;) {
      const best = state.queue.best(
        (entry) => entry.prepared !== undefined && state.fits(lane, entry.task) && state.admits(lane, entry.task.memoryEstimateBytes),
      );
      if (!best || now() < lane.notBefore) break;
      const slot = pickHost(state, lane, best);
      if (!slot) break;
      dispatch(state, lane, slot, best, nextJobId());
    }
  }
}

function spawn(state: SchedulerState, lane: Lane): HostSlot {
  const host = state.options.runtime.spawnHost(lane.decision.limits.priority, (dead) => {
    lane.hosts.delete(dead);
    state.changed(); // its pid leaves the snapshot
    state.pump();
  });
  const slot: HostSlot = { host, lane, jobs: [], preempted: false, throttled: false, tokens: 0, lastCpu: undefined, lastTick: now() };
  lane.hosts.set(host, slot);
  return slot;
}

function pickHost(state: SchedulerState, lane: Lane, next: Queued): HostSlot | undefined {
  const sha = next.task.model.sha256;
  const idle = [...lane.hosts.values()].find((slot) => slot.host.alive && slot.jobs.length === 0);
  if (activeHosts(lane).length < concurrency(lane)) return idle ?? spawn(state, lane);
  // Every slot is busy: queue behind a job of the same model (pipelining), or preempt lower-priority work.
  const behind = activeHosts(lane).find(
    (slot) =>
      slot.jobs.length < PIPELINE_DEPTH &&
      minPriority(slot) >= next.task.priority &&
      slot.jobs[0]?.entries[0]?.task.model.sha256 === sha &&
      lane.spec.kind === 'cpu',
  );
  if (behind) return behind;
  const victim = activeHosts(lane).sort((a, b) => minPriority(a) - minPriority(b))[0];
  if (victim && minPriority(victim) < next.task.priority && canSuspend) {
    victim.preempted = true;
    state.changed();
    applyStop(victim);
    state.options.logger.info(`preempting job host ${victim.host.pid} for task ${next.task.id} (priority ${next.task.priority})`);
    return idle ?? spawn(state, lane);
  }
  return undefined;
}

function resumePreempted(state: SchedulerState, lane: Lane): void {
  for (const slot of lane.hosts.values()) {
    if (!slot.preempted || activeHosts(lane).length >= concurrency(lane)) continue;
    const urgent = state.queue.best(
      (entry) => entry.prepared !== undefined && state.fits(lane, entry.task) && entry.task.priority > minPriority(slot),
    );
    if (urgent) continue;
    slot.preempted = false;
    state.changed();
    applyStop(slot);
  }
}

/** The first task and, when its model batches, queued tasks with the same input shapes, within the memory budget. */
function gatherBatch(state: SchedulerState, lane: Lane, first: Queued): Queued[] {
  const entries = [first];
  const key = first.prepared && state.batchable.get(first.task.model.sha256) && !first.alone ? batchKey(first.prepared) : undefined;
  if (!key) return entries;
  let memory = first.task.memoryEstimateBytes;
  const alike = state.queue.matching(
    (entry) =>
      entry !== first && !entry.alone && entry.prepared !== undefined && batchKey(entry.prepared) === key && state.fits(lane, entry.task),
  );
  for (const entry of alike) {
    if (entries.length >= state.maxBatch || !state.admits(lane, memory + entry.task.memoryEstimateBytes)) break;
    memory += entry.task.memoryEstimateBytes;
    entries.push(entry);
  }
  return entries;
}

function dispatch(state: SchedulerState, lane: Lane, slot: HostSlot, first: Queued, jobId: string): void {
  const { host } = slot;
  const entries = gatherBatch(state, lane, first);
  entries.forEach((entry) => state.queue.remove(entry));
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- only prepared tasks are picked and batched (the lane pickers and gatherBatch check)
  const prepared = entries.map((entry) => entry.prepared!);
  const job: Job = {
    id: jobId,
    entries,
    host,
    lane,
    started: false,
    behind: slot.jobs.length > 0,
    activeMs: 0,
    memory: entries.reduce((sum, entry) => sum + entry.task.memoryEstimateBytes, 0),
  };
  state.jobs.set(job.id, job);
  slot.jobs.push(job);
  applyStop(slot); // continues a host stopped while idle
  state.changed();
  const request: RunRequest = {
    type: 'run',
    jobId: job.id,
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- a batch holds at least `first`
    modelPath: prepared[0]!.modelPath,
    sha256: first.task.model.sha256,
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- as above
    feeds: entries.length > 1 ? stackFeeds(prepared) : prepared[0]!.feeds,
    outputs: first.task.outputs,
    session: {
      threads: Math.max(1, lane.decision.limits.threads),
      providers: lane.spec.providers,
      deviceIndex: lane.spec.deviceIndex ?? 0,
      warmSessions: state.options.warmSessions ?? 3,
      ...(lane.decision.limits.vramBudgetMiB ? { vramBudgetBytes: Math.floor(lane.decision.limits.vramBudgetMiB * 1024 ** 2) } : {}),
    },
  };
  void host
    .run(request, {
      onStarted: () => {
        job.started = true;
        state.changed();
        state.emit();
      },
      onLoaded: (loaded) => {
        host.setPriority(lane.decision.limits.priority); // now that the session's threads exist
        state.batchable.set(loaded.sha256, loaded.batchable);
        if (loaded.fallback && lane.notice !== loaded.fallback) state.options.logger.warn(`device ${lane.spec.id}: ${loaded.fallback}`);
        lane.notice = loaded.fallback;
      },
    })
    .then((outcome) => settle(state, job, slot, outcome, prepared));
}

function settle(state: SchedulerState, job: Job, slot: HostSlot, outcome: HostOutcome, prepared: PreparedTask[]): void {
  state.jobs.delete(job.id);
  slot.jobs = slot.jobs.filter((other) => other !== job);
  if (slot.jobs.length === 0) {
    // Idle: the CPU-share meter starts afresh with the next job (no saved-up share, no debt).
    slot.throttled = false;
    slot.tokens = 0;
    slot.lastCpu = undefined;
  }
  if (job.host.alive) applyStop(slot);
  // A spare host left over from preemption goes once the lane has more idle hosts than it runs at once.
  const idle = [...job.lane.hosts.values()].filter((other) => other.jobs.length === 0);
  if ((idle.length > concurrency(job.lane) || job.lane.broken) && slot.jobs.length === 0)
    slot.host.kill('shutdown', 'spare job host no longer needed');
  if (outcome.ok) deliver(state, job, outcome.value, prepared);
  else recover(state, job, outcome.error);
  state.pump();
}

/** Splits a job's outputs and accounting back to its tasks (a batch's cost by rows) and paces GPU runs. */
function deliver(state: SchedulerState, job: Job, done: Extract<HostOutcome, { ok: true }>['value'], prepared: PreparedTask[]): void {
  const { message } = done;
  const rows = prepared.map((task) => task.rows ?? 1);
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- a job holds at least one task
  const sha = job.entries[0]!.task.model.sha256;
  const totalRows = rows.reduce((a, b) => a + b, 0);
  state.msPerRow.set(sha, message.accounting.wallMs / totalRows);
  job.lane.busyMs += message.accounting.wallMs;
  job.lane.finished += job.entries.length;
  job.lane.operations += message.accounting.operations;
  const parts = Object.fromEntries(
    Object.entries(message.outputs).map(([name, tensor]) => [name, job.entries.length > 1 ? splitOutput(tensor, rows) : [tensor]]),
  );
  const kept = job.entries.map((entry, index) => {
    const share = (rows[index] ?? 1) / totalRows;
    return state.finish(entry, {
      result: {
        taskId: entry.task.id,
        // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- splitOutput gives one part per task (one row count per task)
        outputs: Object.fromEntries(Object.entries(parts).map(([name, split]) => [name, split[index]!])),
        accounting: {
          wallMs: message.accounting.wallMs * share,
          cpuMs: message.accounting.cpuMs * share,
          peakRssBytes: message.accounting.peakRssBytes,
          device: `${job.lane.spec.id}/${message.accounting.provider}`,
          operations: message.accounting.operations * share,
        },
      },
    });
  });
  // The results are views into the host's output buffers: those go back to the pool once every result is kept.
  void Promise.all(kept).then(done.recycle);
  const { dutyCycle } = job.lane.decision.limits;
  if (job.lane.spec.kind === 'gpu' && dutyCycle < 1 && dutyCycle > 0)
    // GPUs cannot be stopped mid-kernel: pace runs instead, idle long enough to meet the duty cycle.
    job.lane.notBefore = now() + message.accounting.wallMs * (1 / dutyCycle - 1);
}
