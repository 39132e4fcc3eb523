import type { LedgerRecord } from './record.js';
import { epochProblem } from '../network/receipts.js';

/** What every ledger line is checked against at load: this device, and the coordinators it pinned. */
export interface LedgerTrust {
  deviceId: string;
  coordinators: readonly { coordinator: string; chainId: number }[];
}

/**
 * Why a ledger line must not be counted, or null: an epoch that is not this device's, or not signed by a coordinator
 * it pinned.
 */
export function recordProblem(trust: LedgerTrust): (record: LedgerRecord) => string | null {
  return (record) => {
    const pin = trust.coordinators.find((c) => c.coordinator.toLowerCase() === record.source.coordinator.toLowerCase());
    if (!pin) return `an epoch from a coordinator this device never joined (${record.source.coordinator})`;
    return epochProblem(record.signed, { chainId: pin.chainId, coordinator: pin.coordinator, deviceId: trust.deviceId });
  };
}
