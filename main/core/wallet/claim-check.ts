import { verifyTypedData } from 'ethers';
import type { Epoch } from '../../common/protocol.js';
import { payoutDomain, sameAddress, VOUCHER_TYPES, type Voucher } from '../../common/wallet.js';
import type { ChainClient } from './chain.js';
import { WalletError } from './errors.js';

type ClaimEpoch = Pick<Epoch, 'deviceId' | 'firstSeq' | 'lastSeq' | 'totalWei'>;

/** What this device knows for itself: its id, the coordinator it pinned, and its own verified epochs. */
export interface ClaimContext {
  deviceId: string;
  /** The pinned coordinator's signing address. */
  coordinator: string;
  /** This device's signed epochs from that coordinator, as verified into the ledger. */
  epochs: readonly ClaimEpoch[];
  /**
   * Another device's signed epochs after receipt `after`, each checked as this device's own are (the pinned
   * coordinator's signature, that device, this owner, no gap): a member machine earning to this wallet under its
   * delegation (docs/protocol.md, "Delegation"). Without it a voucher naming another device is refused.
   */
  others?: (deviceId: string, after: number) => Promise<readonly ClaimEpoch[]>;
}

const refuse = (why: string): WalletError =>
  new WalletError(
    'VOUCHER_MISMATCH',
    `The claim was not sent: ${why} Nothing was paid; try again later, and if this stays, the network may be wrong about your earnings.`,
  );

/**
 * Throws (VOUCHER_MISMATCH, in plain words) unless the voucher is exactly what this device can prove it is owed:
 * signed by the pinned coordinator, which is also the payout contract's signer; only receipts of this device (or of
 * a member whose signed epochs `others` fetches and checks), starting right after the last one the contract paid and
 * ending where one of its epochs ends; each range worth the sum of that device's signed epochs in it, to the wei.
 */
export async function checkVoucher(chain: ChainClient, voucher: Voucher, owner: string, context: ClaimContext): Promise<void> {
  const contractSigner = await chain.signer();
  if (!sameAddress(contractSigner, context.coordinator)) {
    throw refuse(`the payout contract pays vouchers of ${contractSigner}, but your receipts come from ${context.coordinator}.`);
  }
  let voucherSigner = '';
  try {
    const { signature, ...value } = voucher;
    voucherSigner = verifyTypedData(payoutDomain(chain.settings.chainId, chain.settings.payoutAddress), VOUCHER_TYPES, value, signature);
  } catch {
    // an unreadable signature is refused below like a foreign one
  }
  if (!sameAddress(voucherSigner, context.coordinator))
    throw refuse('the voucher is not signed by the coordinator that signed your receipts.');
  if (!sameAddress(voucher.owner, owner)) throw refuse(`the voucher pays ${voucher.owner}, not your address ${owner}.`);
  let total = 0n;
  for (const range of voucher.ranges) {
    const own = range.deviceId === context.deviceId;
    const { others } = context;
    if (!own && !others) throw refuse(`the voucher covers receipts of device ${range.deviceId}, not of this device.`);
    const paid = await chain.paid(owner, range.deviceId);
    if (range.firstSeq !== paid.lastSeq + 1) {
      throw refuse(`the voucher starts at receipt ${range.firstSeq}, but the contract has paid up to receipt ${paid.lastSeq}.`);
    }
    const which = own ? 'this device' : `device ${range.deviceId}`;
    const mine = (own || !others ? context.epochs : await others(range.deviceId, paid.lastSeq)).filter(
      (e) => e.deviceId === range.deviceId,
    );
    const newest = Math.max(0, ...mine.map((e) => e.lastSeq));
    if (newest < range.lastSeq) {
      throw refuse(`the voucher covers receipts up to ${range.lastSeq}, but ${which} has received only up to ${newest} so far.`);
    }
    if (mine.some((e) => e.firstSeq <= range.lastSeq && e.lastSeq > range.lastSeq)) {
      throw refuse(
        `the voucher ends at receipt ${range.lastSeq}, inside one of ${which}'s signed epochs, so its amount cannot be checked.`,
      );
    }
    const sum = mine.filter((e) => e.firstSeq >= range.firstSeq && e.lastSeq <= range.lastSeq).reduce((s, e) => s + BigInt(e.totalWei), 0n);
    if (sum !== BigInt(range.amount)) {
      throw refuse(
        `receipts ${range.firstSeq}–${range.lastSeq} add up to ${sum} wei in your own records, but the voucher says ${range.amount} wei.`,
      );
    }
    total += sum;
  }
  if (total !== BigInt(voucher.amount))
    throw refuse(`the voucher's total, ${voucher.amount} wei, is not the sum of its ranges, ${total} wei.`);
}
