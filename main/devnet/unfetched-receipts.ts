import type { SignedReceipt } from '../common/protocol.js';

/**
 * Receipts each device has not fetched yet. None is dropped until the device's client asks for receipts after it (its
 * cursor moved past it, so it is in that device's ledger), however long the device was away or however many it
 * earned meanwhile: a window of the newest N lost 788 of 2,126 receipts in the kill -9 bench. Memory stays bounded by
 * what devices have not collected.
 */
export class UnfetchedReceipts {
  private readonly byDevice = new Map<string, SignedReceipt[]>();

  /** In seq order per device (the coordinator issues them so). */
  add(signed: SignedReceipt): void {
    const list = this.byDevice.get(signed.receipt.deviceId) ?? [];
    if (list.length > 0 && list.at(-1)!.receipt.seq >= signed.receipt.seq) return; // served from the log already
    list.push(signed);
    this.byDevice.set(signed.receipt.deviceId, list);
  }

  /** Up to `limit` receipts after `cursor`; the ones up to it are fetched and forgotten. */
  after(deviceId: string, cursor: number, limit: number): SignedReceipt[] {
    const list = this.byDevice.get(deviceId) ?? [];
    const first = list.findIndex((r) => r.receipt.seq > cursor);
    const kept = first < 0 ? [] : list.slice(first);
    if (kept.length > 0) this.byDevice.set(deviceId, kept);
    else this.byDevice.delete(deviceId);
    return kept.slice(0, limit);
  }

  of(deviceId: string): readonly SignedReceipt[] {
    return this.byDevice.get(deviceId) ?? [];
  }
}
