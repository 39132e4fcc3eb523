import { randomUUID } from 'node:crypto';
import type { Wallet } from 'ethers';
import { eip712Domain, RECEIPT_TYPES, type Receipt } from '../common/protocol.js';
import { NO_REWARD, rewardWei } from '../core/economics/rewards.js';
import type { Clock } from '../core/ports.js';
import type { Payouts } from './payouts.js';
import type { Device } from './registry.js';
import { reputation, uptimeBp } from './standing.js';
import type { UnfetchedReceipts } from './unfetched-receipts.js';

export interface ReceiptIssuerOptions {
  wallet: Wallet;
  chainId: number;
  clock: Pick<Clock, 'now'>;
  payouts: Payouts;
  /** Where issued receipts wait until their device fetches them. */
  unfetched: UnfetchedReceipts;
  /** An availability receipt for every this much online time. */
  availabilityReceiptMs: number;
}

/** Signs receipts at the device's current standing, logs them for payouts (on disk first) and keeps them to serve. */
export class ReceiptIssuer {
  constructor(private readonly o: ReceiptIssuerOptions) {}

  async issue(deviceId: string, device: Device, r: Pick<Receipt, 'taskId' | 'resourceType' | 'status' | 'durationMs'> & { units: bigint }): Promise<void> {
    const now = this.o.clock.now();
    const uptime = uptimeBp(device.standing, device.info.availability, now);
    const standing = reputation(device.standing, now);
    const receipt: Receipt = {
      receiptId: randomUUID(),
      seq: device.nextSeq++,
      taskId: r.taskId,
      deviceId,
      owner: device.info.owner,
      resourceType: r.resourceType,
      status: r.status,
      units: r.units.toString(),
      durationMs: r.durationMs,
      uptimeBp: uptime,
      reputation: standing,
      ...(r.status === 'rejected' ? NO_REWARD : rewardWei(r.resourceType, r.units, standing, uptime)),
      issuedAt: now,
    };
    const signature = await this.o.wallet.signTypedData(eip712Domain(this.o.chainId), RECEIPT_TYPES, receipt);
    await this.o.payouts.record({ receipt, signature });
    this.o.unfetched.add({ receipt, signature });
  }

  /** Pays the device's online time once a whole receipt's worth is unpaid; true when it issued one. */
  async payAvailability(deviceId: string, device: Device): Promise<boolean> {
    const unpaid = device.onlineMs - device.paidOnlineMs;
    if (unpaid < this.o.availabilityReceiptMs) return false;
    device.paidOnlineMs = device.onlineMs;
    await this.issue(deviceId, device, { taskId: '', resourceType: 'availability', status: 'verified', durationMs: unpaid, units: BigInt(unpaid) });
    return true;
  }
}
