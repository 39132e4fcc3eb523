import { verifyTypedData } from 'ethers';
import { eip712Domain, RECEIPT_TYPES, type SignedReceipt } from '../../common/protocol.js';
import { NO_REWARD, rewardWei } from '../economics/rewards.js';

export interface ReceiptExpectation {
  chainId: number;
  /** The pinned coordinator signing address. */
  coordinator: string;
  deviceId?: string;
  owner?: string;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Why a receipt must not enter the ledger, or null when it is good: signed by the pinned coordinator (EIP-712),
 * for this device and owner, and its reward split is exactly what the seed's RewardCalculator gives.
 */
export function receiptProblem(signed: SignedReceipt, expect: ReceiptExpectation): string | null {
  const r = signed.receipt;
  let signer: string;
  try {
    signer = verifyTypedData(eip712Domain(expect.chainId), RECEIPT_TYPES, r, signed.signature);
  } catch (error) {
    return `receipt ${r.receiptId}: unreadable signature (${(error as Error).message.slice(0, 80)})`;
  }
  if (!same(signer, expect.coordinator)) return `receipt ${r.receiptId}: signed by ${signer}, not by the coordinator ${expect.coordinator}`;
  if (expect.deviceId !== undefined && r.deviceId !== expect.deviceId) return `receipt ${r.receiptId}: for device ${r.deviceId}, not this one`;
  if (expect.owner !== undefined && !same(r.owner, expect.owner)) return `receipt ${r.receiptId}: for owner ${r.owner}, not ${expect.owner}`;
  const want = r.status === 'rejected' ? NO_REWARD : rewardWei(r.resourceType, BigInt(r.units), r.reputation, r.uptimeBp);
  const got = { baseWei: r.baseWei, reputationBonusWei: r.reputationBonusWei, uptimeBonusWei: r.uptimeBonusWei, totalWei: r.totalWei };
  if (JSON.stringify(got) !== JSON.stringify(want)) return `receipt ${r.receiptId}: the reward split does not follow the network's rates`;
  return null;
}
