import { randomUUID } from 'node:crypto';
import type { Wallet } from 'ethers';
import { eip712Domain, EPOCH_MAX_RECEIPTS, EPOCH_TYPES, type Receipt } from '../common/protocol.js';
import { SerialQueue } from '../common/serial.js';
import { epochOf } from '../core/receipts/epochs.js';
import { NO_REWARD, rewardWei } from '../core/economics/rewards.js';
import type { Clock } from '../core/ports.js';
import type { Payouts } from './payouts.js';
import type { Device } from './registry.js';
import { reputation, uptimeBp } from './standing.js';
import type { UnfetchedEpochs } from './unfetched-receipts.js';

export interface ReceiptIssuerOptions {
  wallet: Wallet;
  chainId: number;
  clock: Pick<Clock, 'now'>;
  payouts: Payouts;
  /** Where sealed epochs wait until their device fetches them. */
  unfetched: UnfetchedEpochs;
  /** An availability receipt for every this much online time. */
  availabilityReceiptMs: number;
  /** An epoch is sealed once its first receipt is this old (and the device asks, or earns again). */
  epochMs: number;
  /** Receipts of earlier runs not sealed yet, per device (from the payouts log). */
  open: Map<string, Receipt[]>;
}

/** Whether an open epoch may be sealed now. */
type Sealable = (open: readonly Receipt[]) => boolean;

type Work = Pick<Receipt, 'taskId' | 'resourceType' | 'status' | 'durationMs'> & { units: bigint };

/**
 * Writes receipts at the device's current standing (logged for payouts, on disk first) into the device's open epoch,
 * and seals epochs: the transfers since the last one paid as one bandwidth receipt, the Merkle root over the receipts
 * signed once, and the whole kept to serve.
 */
export class ReceiptIssuer {
  /**
   * Per device, its receipts are written, sealed and forfeited one change at a time: a seal between a forfeit's reading
   * of the open epoch and its writes would sign receipts the log then says are rejected.
   */
  private readonly turns = new Map<string, SerialQueue>();

  constructor(private readonly o: ReceiptIssuerOptions) {}

  private turn<T>(deviceId: string, change: () => Promise<T>): Promise<T> {
    let queue = this.turns.get(deviceId);
    if (!queue) this.turns.set(deviceId, (queue = new SerialQueue()));
    return queue.run(change);
  }

  /**
   * Adds a receipt to the open epoch, sealing it first if it is full, or old and `sealable` (not held for a check under
   * way: results.ts).
   */
  issue(deviceId: string, device: Device, work: Work, sealable: Sealable = () => true): Promise<void> {
    return this.turn(deviceId, async () => {
      const open = this.o.open.get(deviceId) ?? [];
      if (open.length > 0 && ((sealable(open) && this.aged(open)) || open.length >= EPOCH_MAX_RECEIPTS - 1)) {
        await this.seal(deviceId, device);
      }
      await this.write(deviceId, device, work, this.o.clock.now());
    });
  }

  private async write(deviceId: string, device: Device, work: Work, issuedAt: number): Promise<void> {
    const uptime = uptimeBp(device.standing, device.info.availability, issuedAt);
    const standing = reputation(device.standing, issuedAt);
    // The log's count wins over the device table's: a receipt logged just before a crash is newer than the table,
    // and a table read back from its earlier copy (registry.ts) is one change behind.
    const seq = Math.max(device.nextSeq, this.o.payouts.lastIssued(deviceId) + 1);
    device.nextSeq = seq + 1;
    const receipt: Receipt = {
      receiptId: randomUUID(),
      seq,
      taskId: work.taskId,
      deviceId,
      owner: device.info.owner,
      resourceType: work.resourceType,
      status: work.status,
      units: work.units.toString(),
      durationMs: work.durationMs,
      uptimeBp: uptime,
      reputation: standing,
      ...(work.status === 'rejected' ? NO_REWARD : rewardWei(work.resourceType, work.units, standing, uptime)),
      issuedAt,
    };
    await this.o.payouts.record({ kind: 'receipt', receipt });
    const open = this.o.open.get(deviceId) ?? [];
    open.push(receipt);
    this.o.open.set(deviceId, open);
  }

  /**
   * Seals the device's open epoch if it is due: its first receipt is `epochMs` old, or the device has none sealed yet
   * (so a new device sees its first earnings at once). The caller saves the device state after.
   */
  sealIfDue(deviceId: string, device: Device, sealable: Sealable): Promise<void> {
    return this.turn(deviceId, async () => {
      const open = this.o.open.get(deviceId) ?? [];
      const first = this.o.payouts.lastSeq(deviceId) === 0;
      if ((open.length > 0 || device.unpaidBytes > 0) && sealable(open) && (first || this.aged(open))) {
        await this.seal(deviceId, device);
      }
    });
  }

  /** Whether an open epoch's first receipt is `epochMs` old (an empty one, only transfers to pay, always is). */
  private aged(open: readonly Receipt[]): boolean {
    return this.o.clock.now() - (open[0]?.issuedAt ?? 0) >= this.o.epochMs;
  }

  private async seal(deviceId: string, device: Device): Promise<void> {
    const last = this.o.open.get(deviceId)?.at(-1);
    if (device.unpaidBytes > 0) {
      // Paid at the time of the last transfer it covers (a later fetch must not move the epoch in time).
      const bytes = BigInt(device.unpaidBytes);
      device.unpaidBytes = 0;
      await this.write(
        deviceId,
        device,
        { taskId: '', resourceType: 'bandwidth', status: 'verified', durationMs: 0, units: bytes },
        last?.issuedAt ?? this.o.clock.now(),
      );
    }
    const receipts = this.o.open.get(deviceId) ?? [];
    if (receipts.length === 0) return;
    this.o.open.delete(deviceId);
    const epoch = epochOf(receipts, this.o.clock.now());
    const signature = await this.o.wallet.signTypedData(eip712Domain(this.o.chainId), EPOCH_TYPES, epoch);
    await this.o.payouts.record({ kind: 'epoch', signed: { epoch, signature } });
    this.o.unfetched.add({ epoch, signature, receipts });
  }

  /**
   * A wrong result forfeits the device's open epoch: its receipts are logged again, same numbers, as rejected (worth
   * 0), and its unpaid transfers are dropped. Sealed epochs are signed and stay paid.
   */
  forfeit(deviceId: string, device: Device): Promise<void> {
    return this.turn(deviceId, async () => {
      device.unpaidBytes = 0;
      const open = this.o.open.get(deviceId) ?? [];
      const forfeited = open.map((r): Receipt => ({ ...r, status: 'rejected', ...NO_REWARD }));
      for (const receipt of forfeited) await this.o.payouts.record({ kind: 'receipt', receipt });
      if (forfeited.length > 0) this.o.open.set(deviceId, forfeited);
    });
  }

  /** Pays the device's online time once a whole receipt's worth is unpaid; true when it issued one. */
  async payAvailability(deviceId: string, device: Device): Promise<boolean> {
    const unpaid = device.onlineMs - device.paidOnlineMs;
    if (unpaid < this.o.availabilityReceiptMs) return false;
    device.paidOnlineMs = device.onlineMs;
    await this.issue(deviceId, device, {
      taskId: '',
      resourceType: 'availability',
      status: 'verified',
      durationMs: unpaid,
      units: BigInt(unpaid),
    });
    return true;
  }
}
