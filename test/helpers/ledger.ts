import type { Receipt } from '../../main/common/protocol.js';
import { receiptsOf } from '../../main/core/ledger/detail.js';
import { Ledger, type LedgerRecord, type LedgerSource } from '../../main/core/ledger/ledger.js';

const opened = async (ledger: Ledger | string): Promise<Ledger> => (typeof ledger === 'string' ? await Ledger.open(ledger) : ledger);

/** Every epoch line of a ledger file, oldest first, as the ledger reads them (tests look at whole histories). */
export async function recordsOf(ledger: Ledger | string): Promise<LedgerRecord[]> {
  const out: LedgerRecord[] = [];
  for await (const record of (await opened(ledger)).records()) out.push(record);
  return out;
}

/** Every receipt in a ledger's detail files, oldest first, once each (a repeated epoch's detail is skipped). */
export async function receiptsIn(ledger: Ledger | string): Promise<(Receipt & { source: LedgerSource })[]> {
  const out: (Receipt & { source: LedgerSource })[] = [];
  const seen = new Set<string>();
  for await (const line of (await opened(ledger)).detail.lines()) {
    const key = `${line.source.coordinator}\n${line.signed.epoch.deviceId}\n${line.signed.epoch.firstSeq}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const r of receiptsOf(line)) out.push({ ...r, source: line.source });
  }
  return out;
}

/** The wei of every epoch in a ledger. */
export const ledgerWei = async (ledger: Ledger | string): Promise<bigint> => (await recordsOf(ledger)).reduce((sum, r) => sum + BigInt(r.signed.epoch.totalWei), 0n);
