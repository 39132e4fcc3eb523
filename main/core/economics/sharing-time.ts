import type { DeviceDecision, ReasonCode } from '../../common/policy.js';

/**
 * The machine's own load: time the policy holds the device back for these is part of what an hour of sharing earns
 * (a busy machine earns less per hour), unlike time the user turned sharing off or left outside the schedule.
 */
const BUSY: ReadonlySet<ReasonCode> = new Set(['USER_BUSY', 'CPU_HOT', 'GPU_HOT', 'APP_RUNNING', 'FULLSCREEN']);

/** A stretch of sharing time: the device ran, or waited only for the machine's own load. */
export interface Stretch {
  from: number;
  to: number;
  running: boolean;
}

/** What the estimate rests on: the stretches of sharing at the share in force, oldest first, within its window. */
export interface SharingWindow {
  stretches: readonly Stretch[];
  /** The effective share (0–1) they were all measured at. */
  share: number;
}

/** How far back the estimate looks: long enough to average a busy spell out, short enough to follow a change of load. */
export const WINDOW_MS = 30 * 60_000;

/**
 * Time the registered device shared, from the policy's decisions (noted on every tick). A change of share starts the
 * measure again: a rate measured at another share says little about this one on a machine that is also busy.
 */
export class SharingTime {
  private stretches: Stretch[] = [];
  private last: { at: number; state: 'running' | 'busy' | 'off'; share: number } | null = null;

  note(now: number, device: DeviceDecision | undefined, share: number): void {
    const blocking = device?.reasons.filter((r) => r.blocking) ?? [];
    const state = !device
      ? 'off'
      : device.run
        ? 'running'
        : blocking.length > 0 && blocking.every((r) => BUSY.has(r.code))
          ? 'busy'
          : 'off';
    const last = this.last;
    if (last && last.state !== 'off' && now > last.at) this.add({ from: last.at, to: now, running: last.state === 'running' });
    if (last && last.share !== share) this.stretches = [];
    this.last = { at: now, state, share };
    const cut = now - WINDOW_MS;
    this.stretches = this.stretches.filter((s) => s.to > cut).map((s) => (s.from < cut ? { ...s, from: cut } : s));
  }

  window(): SharingWindow {
    return { stretches: [...this.stretches], share: this.last?.share ?? 0 };
  }

  private add(s: Stretch): void {
    const previous = this.stretches.at(-1);
    // Consecutive ticks in the same state are one stretch, so an hour is a handful of entries, not thousands.
    if (previous && previous.to === s.from && previous.running === s.running) previous.to = s.to;
    else this.stretches.push(s);
  }
}
