import type { DeviceInfo } from '../common/protocol.js';

/** Where a device's pace starts, in GFLOPS, whatever it registered: its first tasks are small (7–75 rows). */
export const START_GFLOPS = 20;
/** A verified result may at most double the pace, so task size grows by at most ×2 a step. */
const MAX_GROWTH = 2;

/**
 * How fast each device works, for sizing its tasks (docs/protocol.md, "Task size"): GFLOPS seen on its results (the
 * compute time it reports, at most the coordinator's lease to submit). Only a result checked and right can raise it,
 * at most ×2; any result can lower it (looking slow earns nothing); a wrong one starts it over.
 */
export class Pace {
  private readonly gflops = new Map<string, number>();

  /** The pace a task for this device is sized at: as seen, else the start (or one core of what it registered, if less). */
  of(deviceId: string, info: DeviceInfo): number {
    const registered =
      info.deviceType.kind === 'cpu' ? info.compute.fp32Gflops / Math.max(1, info.deviceType.threads) : info.compute.fp32Gflops;
    return this.gflops.get(deviceId) ?? (registered > 0 ? Math.min(START_GFLOPS, registered) : START_GFLOPS);
  }

  /**
   * A result took `elapsedMs` for `operations`: halfway to that speed, up only when `verified`
   * (recomputed and right, or the coordinator trusts every result) and then at most ×2.
   */
  observe(deviceId: string, info: DeviceInfo, operations: bigint, elapsedMs: number, verified: boolean): void {
    const now = this.of(deviceId, info);
    const seen = Number(operations) / Math.max(1, elapsedMs) / 1e6;
    const next = (now + seen) / 2;
    this.gflops.set(deviceId, next <= now ? next : verified ? Math.min(MAX_GROWTH * now, next) : now);
  }

  /** After a wrong result: its next tasks are small again. */
  reset(deviceId: string): void {
    this.gflops.delete(deviceId);
  }
}
