import { availableParallelism, freemem, totalmem } from 'node:os';
import type { Signals } from '../../common/policy.js';
import type { Settings } from '../../common/settings.js';
import type { CpuTimes, Ports } from '../ports.js';

type GpuReadings = Signals['gpus'];

/**
 * Turns the OS ports into one Signals sample. Asks only what the current settings need
 * (no idle query while idle-only is off, no process list without listed apps), to stay cheap.
 */
export class Monitor {
  private previous: CpuTimes | null = null;
  private locked: boolean | null = null;
  private suspended = false;
  /** When the input watcher last saw the user (clock ms). */
  private inputAt: number | null = null;

  constructor(
    private readonly ports: Ports,
    private readonly gpus: () => GpuReadings,
    private readonly ourPids: () => readonly number[],
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
    const [times, tempC, powerReading, idleSeconds, locked, names, fullscreen] = await Promise.all([
      system.cpuTimes(this.ourPids()),
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
    return {
      at: now,
      utcOffsetMinutes: -new Date(now).getTimezoneOffset(),
      idleSeconds: idleSeconds === null || this.inputAt === null ? idleSeconds : Math.min(idleSeconds, Math.max(0, (now - this.inputAt) / 1000)),
      locked,
      power: powerReading,
      cpu: { cores: availableParallelism(), tempC, ...load },
      memory: { totalBytes: totalmem(), availableBytes: freemem() },
      gpus: this.gpus(),
      blockingApps: names === null ? null : [...new Set(names.filter((name) => wanted.has(name)))],
      fullscreen,
      suspended: this.suspended,
    };
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
