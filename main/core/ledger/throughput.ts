import type { Receipt } from '../../common/protocol.js';

/** `receipts` are the ledger's newest, oldest first. */
const newestReceipts = (receipts: readonly Receipt[], deviceId: string, keep: (r: Receipt) => boolean, count: number): Receipt[] => {
  const out: Receipt[] = [];
  for (let i = receipts.length - 1; i >= 0 && out.length < count; i--) {
    const receipt = receipts[i];
    if (receipt && receipt.deviceId === deviceId && keep(receipt)) out.push(receipt);
  }
  return out;
};

/** The reputation and uptime on this device's newest receipt; a new device's (50, 0) before any. */
export function latestStanding(records: readonly Receipt[], deviceId: string): { reputation: number; uptimeBp: number } {
  const [last] = newestReceipts(records, deviceId, () => true, 1);
  return { reputation: last?.reputation ?? 50, uptimeBp: last?.uptimeBp ?? 0 };
}
