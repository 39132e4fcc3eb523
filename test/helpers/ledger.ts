import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { getBytes, type Wallet } from 'ethers';
import { signRecoverable } from 'tiny-secp256k1';
import { eip712Domain, EPOCH_TYPES, type EpochBundle, type Receipt } from '../../main/common/protocol.js';
import { rewardWei } from '../../main/core/economics/rewards.js';
import { decodeRecord, encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { epochDigester } from '../../main/core/ledger/epoch-digest.js';
import { receiptsOf } from '../../main/core/ledger/detail.js';
import { Ledger, type LedgerRecord, type LedgerSource } from '../../main/core/ledger/ledger.js';

const opened = async (ledger: Ledger | string): Promise<Ledger> => (typeof ledger === 'string' ? await Ledger.open(ledger) : ledger);

/** Every epoch line of a ledger file, oldest first, as the ledger reads them (tests look at whole histories). */
export async function recordsOf(ledger: Ledger | string): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const record of (await opened(ledger)).records()) out.push(record);
  return out;
}

/** Every receipt in a ledger's detail files, oldest first, once each. */
export async function receiptsIn(ledger: Ledger | string): Promise<(Receipt & { source: LedgerSource })[]> {
  const out: (Receipt & { source: LedgerSource })[] = [];
  for await (const line of (await opened(ledger)).detail.lines()) {
    for (const r of receiptsOf(line)) out.push({ ...r, source: line.source });
  }
  return out;
}

/** The wei of every epoch in a ledger. */
export const ledgerWei = async (ledger: Ledger | string): Promise<bigint> =>
  (await recordsOf(ledger)).reduce((sum, r) => sum + BigInt(r.signed.epoch.totalWei), 0n);

let seq = 0;
/** A receipt of device dev-a with its split by the network's rates; `over` changes any field (seq counts up). */
export function testReceipt(owner: string, over: Partial<Receipt> = {}): Receipt {
  const base = {
    resourceType: 'cpu' as const,
    units: '1000000000000',
    reputation: 50,
    uptimeBp: 5000,
    status: 'verified' as const,
    ...over,
  };
  seq++;
  return {
    receiptId: `r-${seq}`,
    seq,
    taskId: `t-${seq}`,
    deviceId: 'dev-a',
    owner,
    durationMs: 100,
    issuedAt: Date.UTC(2026, 10, 24, 22, 30),
    ...base,
    ...rewardWei(base.resourceType, BigInt(base.units), base.reputation, base.uptimeBp),
    ...over,
  };
}

/** Receipts signed as one epoch (devnet chain id) by `by`, as a coordinator sends it. */
export async function signedEpoch(receipts: Receipt[], by: Pick<Wallet, 'signTypedData'>): Promise<EpochBundle> {
  const epoch = epochOf(receipts, receipts.at(-1)!.issuedAt + 1);
  return { epoch, signature: await by.signTypedData(eip712Domain(31337), EPOCH_TYPES, epoch), receipts };
}

/**
 * signedEpoch through libsecp256k1 (tiny-secp256k1, WebAssembly) over the agent's own EIP-712 digest (epoch-digest.ts,
 * proved equal to ethers' in ledger-signatures.test.ts): the same signature ~100× faster, for tests that sign thousands.
 */
export async function fastSignedEpoch(receipts: Receipt[], by: Pick<Wallet, 'privateKey'>): Promise<EpochBundle> {
  const epoch = epochOf(receipts, receipts.at(-1)!.issuedAt + 1);
  const { signature, recoveryId } = signRecoverable((await epochDigester())(epoch, 31337), getBytes(by.privateKey));
  return { epoch, signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recoveryId).toString(16)}`, receipts };
}

/**
 * Raises the first slot of the index's sums by `extraWei` and encodes the index again with a fresh checksum, as someone
 * who read its format would (the totals read as plain JSON, not through the app's schema).
 */
export async function forgeIndex(file: string, extraWei: bigint): Promise<void> {
  type Rows = [number, string, ...unknown[]][];
  const read = decodeRecord(
    (await readFile(`${file}.index`, 'utf8')).trimEnd(),
    z.custom<{ totals: { series: { minutes: Rows; quarters: Rows }[] } }>(() => true),
  );
  if (!read.ok) throw new Error(`the index does not read back: ${read.error.message}`);
  const index = read.value;
  const series = index.totals.series[0]!;
  const slot = series.minutes[0] ?? series.quarters[0]!;
  slot[1] = String(BigInt(slot[1]) + extraWei);
  await writeFile(`${file}.index`, encodeRecord(index));
}
