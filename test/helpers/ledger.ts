import { Ledger, type LedgerRecord } from '../../main/core/ledger/ledger.js';

/** Every record of a ledger file, oldest first, as the ledger reads them (tests look at whole histories). */
export async function recordsOf(ledger: Ledger | string): Promise<LedgerRecord[]> {
  const opened = typeof ledger === 'string' ? await Ledger.open(ledger) : ledger;
  const out: LedgerRecord[] = [];
  for await (const record of opened.records()) out.push(record);
  return out;
}
