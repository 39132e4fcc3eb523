/**
 * Enforcement of the policy's limits on the job hosts: SIGSTOP/SIGCONT for pauses, preemption and the CPU-share meter,
 * OS priority, the memory budget, the hung-host timeout, and handing tasks back after a long pause.
 */
import type { DeviceDecision } from '../../common/policy.js';
import { canSuspend } from '../runtime/process-control.js';
import { activeHosts, now, turnedOff, type HostSlot, type Lane, type SchedulerState } from './state.js';

/** Unused CPU share a throttled job may save up (e.g. while other programs held the core). */
const BURST_MS = 250;
const mib = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MiB`;

/**
 * Stopped while the device is paused, the host preempted or over its CPU share, and (CPU lanes) while it has no job,
 * so an idle host costs nothing at all, whatever its threads would do (onnxruntime's pool threads spun ~40 ms after
 * each run before spinning was turned off in job-host.ts). Running otherwise.
 */
export function applyStop(slot: HostSlot): void {
  const idle = slot.jobs.length === 0 && slot.lane.spec.kind === 'cpu' && slot.host.parkable;
  if (idle || slot.lane.pausedAt !== undefined || slot.preempted || slot.throttled) slot.host.suspend();
  else slot.host.resume();
}

/**
 * The policy's decision for one device, kept as decide() made it (decide() is typed and pure, and its inputs were
 * parsed where they entered), then applied to the device's hosts at once. Returns false for a device with no lane.
 */
export function applyDecision(state: SchedulerState, device: DeviceDecision, unknownDevices: Set<string>): boolean {
  const lane = state.lanes.get(device.deviceId);
  // The policy decides for every device it sees; one without a lane (no runtime for it) is said once.
  if (!lane) {
    if (!unknownDevices.has(device.deviceId)) state.options.logger.info(`no job lane for device ${device.deviceId}`);
    unknownDevices.add(device.deviceId);
    return false;
  }
  state.changed();
  const was = lane.decision.limits;
  lane.decision = device;
  lane.decided = true;
  if (!device.run && lane.pausedAt === undefined) lane.pausedAt = now();
  if (device.run) lane.pausedAt = undefined;
  for (const slot of lane.hosts.values()) {
    if (!canSuspend && !device.run) slot.host.kill('preempted', 'device paused; this OS cannot suspend a process');
    if (device.limits.priority !== was.priority) slot.host.setPriority(device.limits.priority);
    applyStop(slot);
  }
  return true;
}

/**
 * Running tasks past their deadline are stopped; a lane paused longer than maxPauseMs, or turned off by the user,
 * hands its tasks back: its job hosts are stopped for good, with the tasks running or waiting on them.
 */
export function enforceDeadlinesAndPauses(state: SchedulerState): void {
  const at = state.options.clock.now();
  for (const job of state.jobs.values())
    if (job.entries.some((entry) => entry.task.deadline <= at)) job.host.kill('deadline', 'deadline passed while running');
  for (const lane of state.lanes.values()) {
    if (lane.pausedAt === undefined) continue;
    const off = turnedOff(lane);
    if (!off && now() - lane.pausedAt < state.maxPauseMs) continue;
    const why = off ? 'sharing was turned off or paused on this computer' : `paused for more than ${Math.round(state.maxPauseMs / 1000)} s`;
    for (const host of lane.hosts.keys()) host.kill('policy-pause', why);
    // Queued tasks only this device could run go back too.
    const others = [...state.lanes.values()].filter((other) => other.decision.run);
    for (const entry of state.queue.matching(
      (queued) => !others.some((other) => state.fits(other, queued.task)) && state.fits(lane, queued.task),
    )) {
      state.queue.remove(entry);
      state.finish(entry, { reason: 'policy-pause', message: why });
    }
  }
}

/** One ticker step: running time (hung-host timeout), the CPU-share meter, and the lane's memory budget. */
export function enforceRunning(state: SchedulerState): void {
  const at = now();
  if (state.jobs.size > 0 && at - state.lastEmit >= 1000) state.changed(); // progress and ETA move
  for (const lane of state.lanes.values()) {
    let rss = 0;
    for (const slot of lane.hosts.values()) {
      const { host } = slot;
      const elapsed = at - slot.lastTick;
      slot.lastTick = at;
      const running = slot.jobs.length > 0 && !host.stopped;
      const current = slot.jobs.find((job) => job.started);
      if (running && current) {
        current.activeMs += elapsed;
        if (current.activeMs > state.runTimeoutMs)
          host.kill('timeout', `no result after ${Math.round(current.activeMs)} ms of running: job host hung`);
      }
      rss += slot.jobs.length ? (host.rssBytes() ?? 0) : 0;
      meter(lane, slot, elapsed, running);
    }
    if (lane.decision.limits.memoryBudgetBytes > 0 && rss > lane.decision.limits.memoryBudgetBytes) {
      const [biggest] = [...lane.hosts.values()]
        .filter((slot) => slot.jobs.length)
        .map((slot) => slot.host)
        .sort((a, b) => (b.rssBytes() ?? 0) - (a.rssBytes() ?? 0));
      biggest?.kill(
        'memory-budget',
        `job used ${mib(rss)} of memory, over its ${mib(lane.decision.limits.memoryBudgetBytes)} budget: stopped`,
      );
    }
  }
}

/** Whether the ticker must run fast: a CPU share below 100 % is being metered on a running job. */
export const metering = (state: SchedulerState): boolean =>
  [...state.lanes.values()].some((lane) => lane.decision.limits.dutyCycle < 1 && lane.spec.kind === 'cpu' && activeHosts(lane).length > 0);

/** CPU share: a token bucket on the job's measured CPU time, refilled at dutyCycle × threads. */
function meter(lane: Lane, slot: HostSlot, elapsed: number, running: boolean): void {
  if (lane.spec.kind !== 'cpu' || !canSuspend || slot.jobs.length === 0 || lane.decision.limits.dutyCycle >= 1) {
    if (slot.throttled) {
      slot.throttled = false;
      applyStop(slot);
    }
    return;
  }
  const rate = lane.decision.limits.dutyCycle * Math.max(1, lane.decision.limits.threads);
  const cpu = slot.host.cpuMs();
  if (cpu !== undefined && slot.lastCpu === undefined) return void (slot.lastCpu = cpu);
  const used = cpu !== undefined && slot.lastCpu !== undefined ? cpu - slot.lastCpu : running ? elapsed * lane.decision.limits.threads : 0;
  slot.lastCpu = cpu;
  slot.tokens = Math.min(slot.tokens + elapsed * rate - used, BURST_MS * rate);
  const throttle = slot.tokens < 0;
  if (throttle !== slot.throttled) {
    slot.throttled = throttle;
    applyStop(slot);
  }
}
