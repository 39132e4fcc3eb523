import type { DeviceDecision, ReasonCode } from '../../common/policy.js';
import type { Epoch } from '../../common/protocol.js';

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

/** What one signed epoch paid for work (compute and transfers; availability is paid by the hour, not measured). */
export interface PaidEpoch {
  /** The `issuedAt` of its last receipt: its work is what was receipted since the epoch before. */
  closedAt: number;
  wei: bigint;
  flops: bigint;
  tasks: number;
}

/** What the estimate rests on, oldest first, within its window. */
export interface MeterWindow {
  stretches: readonly Stretch[];
  paid: readonly PaidEpoch[];
  /** The effective share (0–1) the stretches were all measured at. */
  share: number;
}

/**
 * How far back the estimate looks: ten epochs or so, enough to average a busy spell out and short enough to follow a
 * change of load (or of the checks a new device's results get, which fall over its first minutes).
 */
export const WINDOW_MS = 10 * 60_000;

/**
 * The time this device shared, from the policy's decisions (noted on every tick), and what its epochs paid. A change
 * of share starts the measure again: a rate measured at another share says little about this one on a busy machine.
 */
export class EarningsMeter {
  private stretches: Stretch[] = [];
  private epochs: PaidEpoch[] = [];
  private last: { at: number; state: 'running' | 'busy' | 'off'; share: number } | null = null;

  decided(now: number, device: DeviceDecision | undefined, share: number): void {
    const blocking = device?.reasons.filter((r) => r.blocking) ?? [];
    const busy = blocking.length > 0 && blocking.every((r) => BUSY.has(r.code));
    const state = device?.run ? 'running' : busy ? 'busy' : 'off';
    const last = this.last;
    if (last && last.state !== 'off' && now > last.at) this.add({ from: last.at, to: now, running: last.state === 'running' });
    if (last && last.share !== share) this.stretches = [];
    this.last = { at: now, state, share };
    const cut = now - WINDOW_MS;
    this.stretches = this.stretches.filter((s) => s.to > cut).map((s) => (s.from < cut ? { ...s, from: cut } : s));
    this.epochs = this.epochs.filter((e) => e.closedAt > cut);
  }

  paid(epoch: Epoch): void {
    const work = epoch.sums.filter((s) => s.resourceType !== 'availability');
    const compute = work.filter((s) => s.resourceType === 'cpu' || s.resourceType === 'gpu');
    this.epochs.push({
      closedAt: epoch.closedAt,
      wei: work.reduce((sum, s) => sum + BigInt(s.totalWei), 0n),
      flops: compute.reduce((sum, s) => sum + BigInt(s.units), 0n),
      tasks: compute.reduce((sum, s) => sum + s.receipts, 0),
    });
    this.epochs.sort((a, b) => a.closedAt - b.closedAt);
  }

  window(): MeterWindow {
    return { stretches: [...this.stretches], paid: [...this.epochs], share: this.last?.share ?? 0 };
  }

  private add(s: Stretch): void {
    const previous = this.stretches.at(-1);
    // Consecutive ticks in the same state are one stretch, so an hour is a handful of entries, not thousands.
    if (previous && previous.to === s.from && previous.running === s.running) previous.to = s.to;
    else this.stretches.push(s);
  }
}
