import { verifyTypedData } from 'ethers';
import { errorText, type Failure } from '../../common/result.js';
import { sameAddress } from '../../common/wallet.js';
import { eip712Domain, EPOCH_TYPES, type EpochBundle, type Receipt, type SignedEpoch } from '../../common/protocol.js';
import { NO_REWARD, rewardWei } from '../economics/rewards.js';
import { epochOf } from './epochs.js';

export interface ReceiptExpectation {
  chainId: number;
  /** The pinned coordinator signing address. */
  coordinator: string;
  deviceId?: string;
  owner?: string;
}

/** Why signed earnings must be refused, in words for the log and the status line. */
export type ReceiptProblem = Failure<'BAD_RECEIPT'>;
export const receiptProblem = (message: string): ReceiptProblem => ({ code: 'BAD_RECEIPT', message });

/**
 * Why a signed epoch must not enter the ledger, or null: signed by the pinned coordinator (EIP-712), for this device
 * and owner. What it covers is checked against its receipts by `bundleProblem`, or was when it was written.
 */
export function epochProblem(signed: SignedEpoch, expect: ReceiptExpectation): ReceiptProblem | null {
  const e = signed.epoch;
  const name = `epoch ${e.firstSeq}–${e.lastSeq}`;
  let signer: string;
  try {
    signer = verifyTypedData(eip712Domain(expect.chainId), EPOCH_TYPES, e, signed.signature);
  } catch (error) {
    return receiptProblem(`${name}: unreadable signature (${errorText(error, 80)})`);
  }
  if (!sameAddress(signer, expect.coordinator))
    return receiptProblem(`${name}: signed by ${signer}, not by the coordinator ${expect.coordinator}`);
  if (expect.deviceId !== undefined && e.deviceId !== expect.deviceId)
    return receiptProblem(`${name}: for device ${e.deviceId}, not this one`);
  if (expect.owner !== undefined && !sameAddress(e.owner, expect.owner))
    return receiptProblem(`${name}: for owner ${e.owner}, not ${expect.owner}`);
  return null;
}

/** Why a receipt's reward split is not what the seed's RewardCalculator gives, or null. */
export function splitProblem(r: Receipt): ReceiptProblem | null {
  const want = r.status === 'rejected' ? NO_REWARD : rewardWei(r.resourceType, BigInt(r.units), r.reputation, r.uptimeBp);
  const got = { baseWei: r.baseWei, reputationBonusWei: r.reputationBonusWei, uptimeBonusWei: r.uptimeBonusWei, totalWei: r.totalWei };
  return JSON.stringify(got) === JSON.stringify(want)
    ? null
    : receiptProblem(`receipt ${r.receiptId}: the reward split does not follow the network's rates`);
}

/**
 * Why an epoch as served must be refused, or null: its signature (`epochProblem`), then its receipts: this device's,
 * numbered without a gap from `firstSeq` to `lastSeq`, each split by the network's rates, and adding up, leaf for
 * leaf, to the root and sums that were signed.
 */
export function bundleProblem(bundle: EpochBundle, expect: ReceiptExpectation): ReceiptProblem | null {
  const signed = epochProblem(bundle, expect);
  if (signed) return signed;
  const e = bundle.epoch;
  for (const [i, r] of bundle.receipts.entries()) {
    if (r.seq !== e.firstSeq + i) return receiptProblem(`epoch ${e.firstSeq}–${e.lastSeq}: receipt ${r.seq} is out of place`);
    if (r.deviceId !== e.deviceId || !sameAddress(r.owner, e.owner)) {
      return receiptProblem(`receipt ${r.receiptId}: not for the device and owner of its epoch`);
    }
    const split = splitProblem(r);
    if (split) return split;
  }
  const rebuilt = epochOf(bundle.receipts, e.issuedAt);
  if (JSON.stringify({ ...rebuilt, owner: e.owner }) !== JSON.stringify(e))
    return receiptProblem(`epoch ${e.firstSeq}–${e.lastSeq}: its receipts do not add up to what was signed`);
  return null;
}
