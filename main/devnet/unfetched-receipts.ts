import type { EpochBundle, Receipt } from '../common/protocol.js';

/**
 * Sealed epochs each device has not fetched yet. None is dropped until the device's client asks for receipts after it
 * (its cursor moved past it, so it is in that device's ledger), however long the device was away or however much it
 * earned meanwhile: a window of the newest N lost 788 of 2,126 receipts in the kill -9 bench. Memory stays bounded by
 * what devices have not collected.
 */
export class UnfetchedEpochs {
  private readonly byDevice = new Map<string, EpochBundle[]>();

  /** In seq order per device (the coordinator seals them so). */
  add(bundle: EpochBundle): void {
    const list = this.byDevice.get(bundle.epoch.deviceId) ?? [];
    const last = list.at(-1);
    if (last && last.epoch.lastSeq >= bundle.epoch.firstSeq) return; // served from the log already
    list.push(bundle);
    this.byDevice.set(bundle.epoch.deviceId, list);
  }

  /** Whole epochs after `cursor`, up to `limit` receipts (at least one epoch); the ones up to it are fetched and forgotten. */
  after(deviceId: string, cursor: number, limit: number): EpochBundle[] {
    const list = this.byDevice.get(deviceId) ?? [];
    const first = list.findIndex((b) => b.epoch.lastSeq > cursor);
    const kept = first < 0 ? [] : list.slice(first);
    if (kept.length > 0) this.byDevice.set(deviceId, kept);
    else this.byDevice.delete(deviceId);
    const page: EpochBundle[] = [];
    let receipts = 0;
    for (const bundle of kept) {
      if (page.length > 0 && (receipts + bundle.receipts.length > limit || page.length === 64)) break;
      page.push(bundle);
      receipts += bundle.receipts.length;
    }
    return page;
  }

  /** The device's receipts in epochs it has not fetched, in order. */
  receiptsOf(deviceId: string): Receipt[] {
    return (this.byDevice.get(deviceId) ?? []).flatMap((b) => b.receipts);
  }
}
