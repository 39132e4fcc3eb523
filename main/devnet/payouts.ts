/**
 * The devnet's payouts. Every signed receipt is appended (fsynced) to a log in the devnet's state folder before it is
 * served; per device that gives the newest receipt number and what all receipts up to it earned, and the payout
 * contract keeps the same two numbers for what it paid. A voucher is their difference: the device's receipts from
 * the first unpaid one up to the newest, worth earned − paid. So a restarted devnet still owes exactly what it
 * signed (and can serve receipts a device has not fetched), and an expired voucher is simply replaced by the next.
 */
import { Contract, type Provider } from 'ethers';
import { SignedReceiptSchema, type SignedReceipt } from '../common/protocol.js';
import type { ChainSettings, Voucher } from '../common/wallet.js';
import { appendRecord, openLog } from '../core/fs/checksummed-log.js';
import type { Logger } from '../core/ports.js';
import { PAYOUT_ABI } from '../common/payout-abi.js';
import { readPaid } from '../core/wallet/chain.js';
import { signVoucher, type VoucherSigner } from './chain/vouchers.js';

/** The payout contract the coordinator signs vouchers for, and how owners get gas money (devnet only). */
export interface PayoutLink {
  settings: ChainSettings;
  provider: Provider;
  /** Tops the owner's native coins up for claim fees when they run low. */
  fund(owner: string): Promise<void>;
}

export interface Payouts {
  /** Logs a signed receipt (on disk before it returns) and counts it. */
  record(signed: SignedReceipt): Promise<void>;
  /** The newest receipt number of the device counted (0: none). */
  lastSeq(deviceId: string): number;
  /**
   * The voucher for the device's receipts the contract has not paid yet, claimable until `expiry` (unix s);
   * null when they are worth nothing (zero-value receipts ride along with the next paid one).
   */
  voucher(link: PayoutLink, deviceId: string, owner: string, expiry: number): Promise<Voucher | null>;
}

/**
 * Opens the receipt log (`file`; null: in memory only) and returns, with the payouts, the receipts of earlier runs,
 * oldest first, so the coordinator can serve them again.
 */
export async function openPayouts(options: {
  file: string | null;
  signer: VoucherSigner;
  now: () => number;
  logger?: Logger;
}): Promise<{ payouts: Payouts; earlier: SignedReceipt[] }> {
  const { file, signer, logger } = options;
  const devices = new Map<string, { lastSeq: number; earnedWei: bigint }>();
  // A sum and a maximum: two receipts of one device signed at once may be logged in either order.
  const count = ({ receipt }: SignedReceipt): void => {
    const device = devices.get(receipt.deviceId) ?? { lastSeq: 0, earnedWei: 0n };
    devices.set(receipt.deviceId, { lastSeq: Math.max(device.lastSeq, receipt.seq), earnedWei: device.earnedWei + BigInt(receipt.totalWei) });
  };
  let earlier: SignedReceipt[] = [];
  if (file) {
    const { records, report } = await openLog(file, SignedReceiptSchema, options.now);
    if (report.tornTail) logger?.warn(`devnet: a torn last receipt line was kept in ${report.tornTail.keptIn}`);
    for (const p of report.problems) logger?.error(`devnet: receipt log line ${p.line}: ${p.message}; skipped`);
    earlier = records;
    for (const signed of records) count(signed);
  }
  // One append at a time, in the order the receipts were signed.
  let appends: Promise<void> = Promise.resolve();

  const payouts: Payouts = {
    async record(signed) {
      // Counted once on disk: what a voucher covers is always what a restarted devnet would count.
      if (file) {
        const done = appends.then(() => appendRecord(file, signed));
        appends = done.catch(() => undefined);
        await done;
      }
      count(signed);
    },
    lastSeq: (deviceId) => devices.get(deviceId)?.lastSeq ?? 0,
    async voucher(link, deviceId, owner, expiry) {
      const device = devices.get(deviceId);
      if (!device) return null;
      const paid = await readPaid(new Contract(link.settings.payoutAddress, PAYOUT_ABI, link.provider), owner, deviceId);
      const amount = device.earnedWei - paid.total;
      if (paid.lastSeq > device.lastSeq || amount < 0n) {
        throw new Error(`the payout contract paid ${deviceId} more (through receipt ${paid.lastSeq}) than this devnet signed`);
      }
      if (amount === 0n) return null;
      await link.fund(owner);
      return signVoucher(signer, link.settings, {
        owner,
        amount: amount.toString(),
        ranges: [{ deviceId, firstSeq: paid.lastSeq + 1, lastSeq: device.lastSeq, amount: amount.toString() }],
        expiry,
      });
    },
  };
  return { payouts, earlier };
}
