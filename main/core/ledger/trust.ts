import type { LedgerRecord } from './ledger.js';
import { receiptProblem } from '../network/receipts.js';

/** What every ledger line is checked against at load: this device, and the coordinators it pinned. */
export interface LedgerTrust {
  deviceId: string;
  coordinators: readonly { coordinator: string; chainId: number }[];
}

/**
 * Why a ledger record must not be counted, or null: a submission by another device, or a receipt that is not
 * this device's, not signed by a coordinator it pinned, or whose amounts do not follow the reward function.
 */
export function recordProblem(trust: LedgerTrust): (record: LedgerRecord) => string | null {
  return (record) => {
    if (record.kind === 'submitted') return record.deviceId === trust.deviceId ? null : `a result of another device (${record.deviceId})`;
    const pin = trust.coordinators.find((c) => c.coordinator.toLowerCase() === record.source.coordinator.toLowerCase());
    if (!pin) return `a receipt from a coordinator this device never joined (${record.source.coordinator})`;
    return receiptProblem(record.signed, { chainId: pin.chainId, coordinator: pin.coordinator, deviceId: trust.deviceId });
  };
}
