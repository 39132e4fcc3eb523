import type { LedgerRecord } from './record.js';
import { epochProblem, receiptProblem, type ReceiptProblem } from '../receipts/receipts.js';
import { epochSigners } from './epoch-signers.js';

/** What every ledger line is checked against at load: this machine's device ids (one per owner), and the coordinators it pinned. */
export interface LedgerTrust {
  deviceIds: readonly string[];
  coordinators: readonly { coordinator: string; chainId: number }[];
}

/**
 * Why a ledger line must not be counted, or null. `many`, where given, answers the same for many lines at once, at
 * less cost: the ledger asks it while checking a long run of lines.
 */
export type LineCheck = ((record: LedgerRecord) => ReceiptProblem | null) & {
  many?: (records: readonly LedgerRecord[]) => Promise<(ReceiptProblem | null)[]>;
};

/**
 * Why a ledger line must not be counted, or null: an epoch that is not this machine's, or not signed by a coordinator
 * it pinned. Many lines at once: their signers are recovered together, off the main thread (ledger/epoch-signers.ts);
 * a line that fast path does not clear is checked by ethers, which also words the reason.
 */
export function recordProblem(trust: LedgerTrust): LineCheck {
  const pinOf = (record: LedgerRecord) =>
    trust.coordinators.find((c) => c.coordinator.toLowerCase() === record.source.coordinator.toLowerCase());
  const one = (record: LedgerRecord): ReceiptProblem | null => {
    const pin = pinOf(record);
    if (!pin) return receiptProblem(`an epoch from a coordinator this device never joined (${record.source.coordinator})`);
    const { epoch } = record.signed;
    if (!trust.deviceIds.includes(epoch.deviceId))
      return receiptProblem(`epoch ${epoch.firstSeq}–${epoch.lastSeq}: for device ${epoch.deviceId}, not this one`);
    return epochProblem(record.signed, { chainId: pin.chainId, coordinator: pin.coordinator });
  };
  const many = async (records: readonly LedgerRecord[]): Promise<(ReceiptProblem | null)[]> => {
    const pins = records.map(pinOf);
    const signers = await epochSigners(records.map((r, i) => ({ signed: r.signed, chainId: pins[i]?.chainId ?? 0 }))).catch(() =>
      records.map(() => null),
    );
    return records.map((record, i) => {
      const pin = pins[i];
      const cleared =
        pin && signers[i]?.toLowerCase() === pin.coordinator.toLowerCase() && trust.deviceIds.includes(record.signed.epoch.deviceId);
      return cleared ? null : one(record);
    });
  };
  return Object.assign(one, { many });
}
