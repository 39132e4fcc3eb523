import { availableParallelism, freemem, totalmem } from 'node:os';
import type { Signals } from '../../common/policy.js';
import type { Settings } from '../../common/settings.js';
import type { LaneView } from '../scheduler/types.js';
import type { CpuTimes, Ports } from '../ports.js';

type GpuReadings = Signals['gpus'];
/** What the scheduler's lanes say of our own work: the job hosts' pids, how long their jobs ran, what they finished. */
type OurLanes = () => readonly Pick<LaneView, 'id' | 'pids' | 'busyMs' | 'finished' | 'operations'>[];
/** Hears each sample with the lanes it was taken with (the device history). */
type Observer = (signals: Signals, lanes: ReturnType<OurLanes>) => void;

/**
 * Turns the OS ports into one Signals sample. Asks only what the current settings need
 * (no idle query while idle-only is off, no process list without listed apps), to stay cheap.
 */
export class Monitor {
  private previous: CpuTimes | null = null;
  /** The lanes' run time at the previous sample, and when it was taken (clock ms). */
  private busyBefore: { at: number; ms: Map<string, number> } | null = null;
  private locked: boolean | null = null;
  private suspended = false;
  /** When the input watcher last saw the user (clock ms). */
  private inputAt: number | null = null;

  constructor(
    private readonly ports: Ports,
    private readonly gpus: () => GpuReadings,
    private readonly ours: OurLanes,
    private readonly observe: Observer = () => undefined,
  ) {
    ports.session.subscribe((event) => {
      if (event === 'suspend' || event === 'resume') this.suspended = event === 'suspend';
      if (event === 'lock' || event === 'unlock') this.locked = event === 'lock';
    });
  }

  /** Input seen between samples: idle time counts from it, whatever a slower idle source says (or said mid-sample). */
  noteInput(): void {
    this.inputAt = this.ports.clock.now();
  }

  async sample(settings: Settings): Promise<Signals> {
    const { system, idle, power, clock } = this.ports;
    const sharing = settings.sharing;
    const apps = sharing && settings.pauseWhileApps.length > 0;
    const lanes = this.ours();
    const [times, tempC, powerReading, idleSeconds, locked, names, fullscreen] = await Promise.all([
      system.cpuTimes(lanes.flatMap((lane) => lane.pids)),
      system.cpuTempC(),
      power.read(),
      sharing && settings.idleOnly.enabled ? idle.idleSeconds() : Promise.resolve(null),
      this.locked === null && sharing && settings.idleOnly.enabled ? idle.locked() : Promise.resolve(this.locked),
      apps ? system.processNames() : Promise.resolve([]),
      sharing && settings.pauseWhileFullscreen ? system.fullscreen() : Promise.resolve(null),
    ]);
    const load = this.load(times);
    const wanted = new Set(settings.pauseWhileApps.map((app) => app.toLowerCase().replace(/\.exe$/, '')));
    const now = clock.now();
    const signals: Signals = {
      at: now,
      utcOffsetMinutes: -new Date(now).getTimezoneOffset(),
      idleSeconds:
        idleSeconds === null || this.inputAt === null ? idleSeconds : Math.min(idleSeconds, Math.max(0, (now - this.inputAt) / 1000)),
      locked,
      power: powerReading,
      cpu: { cores: availableParallelism(), tempC, ...load },
      memory: { totalBytes: totalmem(), availableBytes: freemem() },
      gpus: this.gpuUse(lanes, now),
      blockingApps: names === null ? null : [...new Set(names.filter((name) => wanted.has(name)))],
      fullscreen,
      suspended: this.suspended,
    };
    this.observe(signals, lanes);
    return signals;
  }

  /**
   * Each GPU's readings with the share of the time since the previous sample that our jobs ran on it. A GPU cannot be
   * stopped mid-kernel, so a job's run time is time the GPU was ours; the driver's utilization minus it is the user's.
   */
  private gpuUse(lanes: ReturnType<OurLanes>, now: number): GpuReadings {
    const before = this.busyBefore;
    const current = new Map(lanes.map((lane) => [lane.id, lane.busyMs]));
    this.busyBefore = { at: now, ms: current };
    const elapsed = before ? now - before.at : 0;
    return this.gpus().map((gpu) => {
      const was = before?.ms.get(gpu.id);
      const is = current.get(gpu.id);
      const ours = elapsed > 0 && was !== undefined && is !== undefined ? Math.min(100, Math.max(0, (100 * (is - was)) / elapsed)) : null;
      return { ...gpu, ourUtilizationPercent: ours };
    });
  }

  /** Load since the previous sample, split into our jobs and everything else. */
  private load(times: CpuTimes): Pick<Signals['cpu'], 'otherLoadPercent' | 'ourLoadPercent'> {
    const before = this.previous;
    this.previous = times;
    const total = before ? times.totalMs - before.totalMs : 0;
    if (!before || total <= 0) return { otherLoadPercent: null, ourLoadPercent: null };
    const clamp = (v: number) => Math.min(100, Math.max(0, v));
    const busy = times.busyMs - before.busyMs;
    const ours = times.oursMs !== null && before.oursMs !== null ? Math.max(0, times.oursMs - before.oursMs) : null;
    return {
      otherLoadPercent: clamp((100 * (busy - (ours ?? 0))) / total),
      ourLoadPercent: ours === null ? null : clamp((100 * ours) / total),
    };
  }
}
