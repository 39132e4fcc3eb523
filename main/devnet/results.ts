import type { Receipt } from '../common/protocol.js';
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
 * A checked result's receipt is written only once its check passed; a receipt of an unchecked result written while an
 * earlier result of the device is being checked keeps its epoch open until that check ends (`sealable`), so a wrong
 * result still forfeits it. Nothing else waits for checks: epochs of checked work are sealed and fetched at once.
 */
export class ResultDesk {
  /** Per device, when each check under way started. */
  private readonly checking = new Map<string, number[]>();

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
    await this.settle(deviceId, device, lease, result, bodyBytes);
    return 'accepted';
  }

  /** Whether the device's open epoch may be sealed: no unchecked receipt in it came after a check now under way. */
  sealable(deviceId: string, open: readonly Receipt[]): boolean {
    const starts = this.checking.get(deviceId);
    if (!starts?.length) return true;
    const oldest = Math.min(...starts);
    return !open.some((r) => r.status === 'unverified' && r.issuedAt >= oldest);
  }

  private async settle(deviceId: string, device: Device, lease: Lease, result: TaskResult, bodyBytes: number): Promise<void> {
    const { pace, receipts, floor, logger } = this.o;
    const elapsedMs = this.o.clock.now() - lease.issuedAt;
    // The device's own compute time, never more than the coordinator saw: lease to submit also holds its queue, the
    // network and the checks of its earlier results, and sizing tasks by that shrank them until those fixed costs were
    // all there was (1,800 one-row tasks a minute). Claiming less only gets it larger tasks after verified results.
    const workedMs = Math.max(0, Math.min(result.accounting.wallMs, elapsedMs));
    const checked = this.o.random() < checkRate(device.trust, floor);
    const problem = checked ? await this.check(deviceId, lease, result) : undefined;
    const now = this.o.clock.now();
    pace.observe(deviceId, device.info, lease.issued.operations, workedMs, problem === null || floor <= 0);
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
        durationMs: Math.round(workedMs),
        units: lease.issued.operations,
      },
      (open) => this.sealable(deviceId, open),
    );
    if (!problem) device.unpaidBytes += bodyBytes + this.transferred(device, lease);
    await this.o.registry.save();
  }

  private async check(deviceId: string, lease: Lease, result: TaskResult): Promise<string | null> {
    const started = this.o.clock.now();
    const starts = this.checking.get(deviceId) ?? [];
    this.checking.set(deviceId, [...starts, started]);
    try {
      return await this.o.verifier.check(lease.issued, result);
    } finally {
      const left = this.checking.get(deviceId) ?? [];
      left.splice(left.indexOf(started), 1);
      if (left.length === 0) this.checking.delete(deviceId);
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
