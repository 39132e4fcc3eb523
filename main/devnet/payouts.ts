/**
 * The devnet's payouts. Every receipt, and every epoch when it is sealed, is appended (fsynced) to a log in the
 * devnet's state folder before it is served; per device the sealed epochs give the newest receipt number signed and
 * what all receipts up to it earned, and the payout contract keeps the same two numbers for what it paid. A voucher is
 * their difference: the device's receipts from the first unpaid one up to the newest sealed, worth earned − paid. So
 * a restarted devnet still owes exactly what it signed (and can serve epochs a device has not fetched, and seal the
 * receipts it had not), and an expired voucher is simply replaced by the next.
 */
import { Contract, type Provider } from 'ethers';
import { z } from 'zod';
import { ReceiptSchema, SignedEpochSchema, type EpochBundle, type Receipt, type SignedEpoch } from '../common/protocol.js';
import type { ChainSettings, Voucher } from '../common/wallet.js';
import { SerialQueue } from '../common/serial.js';
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

const LogLineSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('receipt'), receipt: ReceiptSchema }).strict(),
  z.object({ kind: z.literal('epoch'), signed: SignedEpochSchema }).strict(),
]);
export type PayoutLogLine = z.infer<typeof LogLineSchema>;

export interface Payouts {
  /** Logs a receipt or a sealed epoch (on disk before it returns); an epoch is counted. */
  record(line: PayoutLogLine): Promise<void>;
  /** The newest receipt number of the device's sealed epochs (0: none). */
  lastSeq(deviceId: string): number;
  /** The newest receipt number issued to the device, sealed or not (0: none). */
  lastIssued(deviceId: string): number;
  /**
   * The voucher for the devices' receipts the contract has not paid the owner yet, one range per device (the first
   * 64 that are owed anything), claimable until `expiry` (unix s); null when they are worth nothing (zero-value
   * receipts ride along with the next paid one).
   */
  voucher(link: PayoutLink, deviceIds: readonly string[], owner: string, expiry: number): Promise<Voucher | null>;
  /** The device's sealed epochs after receipt `cursor`, oldest first, at most `limit`. */
  epochsAfter(deviceId: string, cursor: number, limit: number): SignedEpoch[];
}

/** The most ranges one voucher carries (docs/protocol.md, "Vouchers"). */
const MAX_RANGES = 64;

/**
 * Opens the receipt log (`file`; null: in memory only) and returns, with the payouts, the epochs of earlier runs,
 * oldest first, so the coordinator can serve them again, and per device the receipts it had not sealed yet.
 */
export async function openPayouts(options: {
  file: string | null;
  signer: VoucherSigner;
  now: () => number;
  logger?: Logger;
}): Promise<{ payouts: Payouts; earlier: EpochBundle[]; open: Map<string, Receipt[]> }> {
  const { file, signer, logger } = options;
  // `sealed`: every signed epoch, so a device of the same owner can check them before it claims (delegation).
  type Device = { lastSeq: number; lastIssued: number; earnedWei: bigint; sealed: SignedEpoch[] };
  const devices = new Map<string, Device>();
  const deviceOf = (id: string) => {
    const known = devices.get(id);
    if (known) return known;
    const fresh: Device = { lastSeq: 0, lastIssued: 0, earnedWei: 0n, sealed: [] };
    devices.set(id, fresh);
    return fresh;
  };
  const open = new Map<string, Receipt[]>();
  const earlier: EpochBundle[] = [];
  const count = (line: PayoutLogLine): void => {
    if (line.kind === 'receipt') {
      const device = deviceOf(line.receipt.deviceId);
      device.lastIssued = Math.max(device.lastIssued, line.receipt.seq);
      return;
    }
    const { epoch } = line.signed;
    const device = deviceOf(epoch.deviceId);
    device.lastSeq = Math.max(device.lastSeq, epoch.lastSeq);
    device.earnedWei += BigInt(epoch.totalWei);
    device.sealed.push(line.signed);
  };
  if (file) {
    const { records, report } = await openLog(file, LogLineSchema, options.now);
    if (report.tornTail) logger?.warn(`devnet: a torn last receipt line was kept in ${report.tornTail.keptIn}`);
    for (const p of report.problems) logger?.error(`devnet: receipt log line ${p.line}: ${p.message}; skipped`);
    for (const line of records) {
      count(line);
      if (line.kind === 'receipt') {
        // A receipt logged again under its number (its epoch was forfeited) replaces the first.
        const pending = (open.get(line.receipt.deviceId) ?? []).filter((r) => r.seq !== line.receipt.seq);
        open.set(line.receipt.deviceId, [...pending, line.receipt]);
        continue;
      }
      const { epoch, signature } = line.signed;
      const pending = open.get(epoch.deviceId) ?? [];
      earlier.push({ epoch, signature, receipts: pending.filter((r) => r.seq >= epoch.firstSeq && r.seq <= epoch.lastSeq) });
      open.set(
        epoch.deviceId,
        pending.filter((r) => r.seq > epoch.lastSeq),
      );
    }
    for (const [id, receipts] of open) if (receipts.length === 0) open.delete(id);
  }
  // One append at a time, in the order they were made.
  const appends = new SerialQueue();

  const payouts: Payouts = {
    async record(line) {
      // Counted once on disk: what a voucher covers is always what a restarted devnet would count.
      if (file) {
        await appends.run(() => appendRecord(file, line));
      }
      count(line);
    },
    lastSeq: (deviceId) => devices.get(deviceId)?.lastSeq ?? 0,
    lastIssued: (deviceId) => devices.get(deviceId)?.lastIssued ?? 0,
    async voucher(link, deviceIds, owner, expiry) {
      const contract = new Contract(link.settings.payoutAddress, PAYOUT_ABI, link.provider);
      const ranges: Voucher['ranges'] = [];
      for (const deviceId of deviceIds) {
        const device = devices.get(deviceId);
        if (!device || ranges.length === MAX_RANGES) continue;
        const paid = await readPaid(contract, owner, deviceId);
        const amount = device.earnedWei - paid.total;
        if (paid.lastSeq > device.lastSeq || amount < 0n) {
          throw new Error(`the payout contract paid ${deviceId} more (through receipt ${paid.lastSeq}) than this devnet signed`);
        }
        if (amount > 0n) ranges.push({ deviceId, firstSeq: paid.lastSeq + 1, lastSeq: device.lastSeq, amount: amount.toString() });
      }
      if (ranges.length === 0) return null;
      await link.fund(owner);
      const amount = ranges.reduce((sum, r) => sum + BigInt(r.amount), 0n).toString();
      return signVoucher(signer, link.settings, { owner, amount, ranges, expiry });
    },
    epochsAfter: (deviceId, cursor, limit) => (devices.get(deviceId)?.sealed ?? []).filter((s) => s.epoch.lastSeq > cursor).slice(0, limit),
  };
  return { payouts, earlier, open };
}
