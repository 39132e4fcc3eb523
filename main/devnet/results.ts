import type { TaskResult } from '../common/task.js';
import type { Clock, Logger } from '../core/ports.js';
import type { Pace } from './pace.js';
import type { Random } from './random.js';
import type { ReceiptIssuer } from './receipt-issuer.js';
import type { Device, DeviceRegistry } from './registry.js';
import { recentRejections, recordOutcome } from './standing.js';
import type { DevnetModel, Verifier } from './tasks.js';
import { afterCheck, checkRate } from './verification.js';
import type { Lease, WorkPool } from './work-pool.js';

export interface ResultDeskOptions {
  pool: WorkPool;
  registry: DeviceRegistry;
  receipts: ReceiptIssuer;
  verifier: Verifier;
  pace: Pace;
  models: ReadonlyMap<string, DevnetModel>;
  clock: Pick<Clock, 'now'>;
  random: Random;
  /** The share of results a device with a long clean record is checked at; 0: none is (benches only). */
  floor: number;
  logger?: Logger | undefined;
}

/**
 * Takes submitted results (docs/protocol.md, "Verification"): draws whether to recompute each at the device's check
 * rate, pays it in a receipt, updates the device's record and pace, and on a wrong result forfeits its open epoch.
 * While one of a device's results is being checked, its open epoch is held: `settled` waits for that before a seal.
 */
export class ResultDesk {
  /** Per device, the results being taken (checked, then paid): a seal on request waits for them. */
  private readonly inFlight = new Map<string, Set<Promise<unknown>>>();
  /** Per device, how many of its results are being recomputed right now: a receipt written meanwhile seals nothing. */
  private readonly checking = new Map<string, number>();

  constructor(private readonly o: ResultDeskOptions) {}

  /** The answer to a submit: taken (its receipt written), or why not. */
  async submit(
    deviceId: string,
    device: Device,
    leaseId: string,
    result: TaskResult,
    bodyBytes: number,
  ): Promise<'accepted' | 'duplicate' | 'too-late'> {
    const lease = this.o.pool.take(deviceId, leaseId, result);
    if (typeof lease === 'string') return lease;
    const taking = this.settle(deviceId, device, lease, result, bodyBytes);
    const held = this.inFlight.get(deviceId) ?? new Set();
    this.inFlight.set(deviceId, held.add(taking));
    try {
      await taking;
    } finally {
      held.delete(taking);
      if (held.size === 0) this.inFlight.delete(deviceId);
    }
    return 'accepted';
  }

  /** Resolves once none of the device's results is being taken, its check included (so its open epoch may be sealed). */
  async settled(deviceId: string): Promise<void> {
    await Promise.allSettled([...(this.inFlight.get(deviceId) ?? [])]);
  }

  private async settle(deviceId: string, device: Device, lease: Lease, result: TaskResult, bodyBytes: number): Promise<void> {
    const { pace, receipts, floor, logger } = this.o;
    // Measured on the coordinator's clock, before the check: what the device says it took is never used for pace.
    const elapsedMs = this.o.clock.now() - lease.issuedAt;
    const checked = this.o.random() < checkRate(device.trust, floor);
    const problem = checked ? await this.check(deviceId, lease, result) : undefined;
    const now = this.o.clock.now();
    pace.observe(deviceId, device.info, lease.issued.operations, elapsedMs, problem === null || floor <= 0);
    if (problem !== undefined) {
      device.standing = recordOutcome(device.standing, problem === null, now);
      device.trust = afterCheck(device.trust, problem === null, recentRejections(device.standing, now), now);
    }
    if (problem) {
      this.o.pool.stats.rejected++;
      logger?.warn(`devnet: result for ${result.taskId} rejected: ${problem}; ${deviceId} paused, its open epoch forfeited`);
      pace.reset(deviceId);
      await receipts.forfeit(deviceId, device);
    }
    // Work is what the graph says this input costs, paid at the rate of what the lease was for: never what the
    // device claims ran it.
    await receipts.issue(
      deviceId,
      device,
      {
        taskId: result.taskId,
        resourceType: lease.resource,
        status: problem ? 'rejected' : problem === null ? 'verified' : 'unverified',
        durationMs: Math.round(Math.max(0, Math.min(result.accounting.wallMs, elapsedMs))),
        units: lease.issued.operations,
      },
      (this.checking.get(deviceId) ?? 0) > 0,
    );
    if (!problem) device.unpaidBytes += bodyBytes + this.transferred(device, lease);
    await this.o.registry.save();
  }

  private async check(deviceId: string, lease: Lease, result: TaskResult): Promise<string | null> {
    this.checking.set(deviceId, (this.checking.get(deviceId) ?? 0) + 1);
    try {
      return await this.o.verifier.check(lease.issued, result);
    } finally {
      const left = (this.checking.get(deviceId) ?? 1) - 1;
      if (left > 0) this.checking.set(deviceId, left);
      else this.checking.delete(deviceId);
    }
  }

  /** The lease's bytes, and each model fetched through it that this device was never paid for (then marked paid). */
  private transferred(device: Device, lease: Lease): number {
    let bytes = lease.bytes;
    for (const sha of lease.models) {
      if (device.paidModels.includes(sha)) continue;
      device.paidModels.push(sha);
      bytes += this.o.models.get(sha)?.bytes.length ?? 0;
    }
    return bytes;
  }
}
