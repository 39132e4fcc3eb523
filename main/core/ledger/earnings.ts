import { exactAmount } from '../../common/money.js';
import type { EarningsQuery } from '../../common/network.js';
import { EarningsQuerySchema } from '../../common/network.js';
import { WORK_UNIT } from '../economics/rewards.js';
import { epochKey, receiptsOf, type DetailLine } from './detail.js';
import type { LedgerRecord } from './record.js';
import { networkKey, type LedgerSource } from './source.js';
import type { PendingResult } from './epoch-sums.js';

const CSV_COLUMNS = [
  'time_utc',
  'status',
  'receipt_id',
  'task_id',
  'device_id',
  'owner',
  'resource_type',
  'work_units',
  'work_unit',
  'duration_ms',
  'uptime_percent',
  'reputation',
  'base_synor',
  'reputation_bonus_synor',
  'uptime_bonus_synor',
  'total_synor',
  'network',
  'devnet',
] as const;

/** The CSV's amounts are SYNOR to the last wei (docs/protocol.md), made from the wei the ledger keeps. */
const synor = (wei: string | bigint): string => exactAmount(BigInt(wei));

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
function cell(value: string | number | boolean): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?[0-9.]+$/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `n`: the row's place as read, so rows of the same time keep that order. */
type Row = { at: number; n: number; cells: (string | number | boolean)[] };

export interface CsvSources {
  /** Per-receipt detail, oldest first (the window of days it is kept for). */
  detail: AsyncIterable<DetailLine>;
  /** Every epoch in the ledger, oldest first: those whose detail is gone become one row per resource. */
  epochs: AsyncIterable<LedgerRecord>;
  /** Results still waiting for their receipt. */
  pending: readonly PendingResult[];
}

/**
 * One row per receipt kept in detail, one per resource of an older epoch (status `epoch`, its receipts' sums) and
 * one per result still waiting for its receipt, oldest first.
 */
export async function earningsCsv(sources: CsvSources, query: EarningsQuery = {}): Promise<string> {
  const q = EarningsQuerySchema.parse(query);
  const rows: Row[] = [];
  const detailed = new Set<string>();
  const wanted = (source: LedgerSource): boolean =>
    (q.devnet === undefined || source.devnet === q.devnet) && (q.network === undefined || networkKey(source) === q.network);
  const push = (at: number, cells: Row['cells']): void =>
    void rows.push({ at, n: rows.length, cells: [new Date(at).toISOString(), ...cells] });
  for await (const line of sources.detail) {
    detailed.add(epochKey(line.source.coordinator, line.signed.epoch));
    if (!wanted(line.source)) continue;
    for (const x of receiptsOf(line)) {
      push(x.issuedAt, [
        x.status,
        x.receiptId,
        x.taskId,
        x.deviceId,
        x.owner,
        x.resourceType,
        x.units,
        WORK_UNIT[x.resourceType],
        x.durationMs,
        x.uptimeBp / 100,
        x.reputation,
        synor(x.baseWei),
        synor(x.reputationBonusWei),
        synor(x.uptimeBonusWei),
        synor(x.totalWei),
        line.source.url,
        line.source.devnet,
      ]);
    }
  }
  for await (const r of sources.epochs) {
    const e = r.signed.epoch;
    if (!wanted(r.source) || detailed.has(epochKey(r.source.coordinator, e))) continue;
    for (const sum of e.sums) {
      const id = `epoch ${e.firstSeq}-${e.lastSeq}`;
      push(e.closedAt, [
        'epoch',
        id,
        '',
        e.deviceId,
        e.owner,
        sum.resourceType,
        sum.units,
        WORK_UNIT[sum.resourceType],
        '',
        '',
        '',
        '',
        '',
        '',
        synor(sum.totalWei),
        r.source.url,
        r.source.devnet,
      ]);
    }
  }
  for (const p of sources.pending) {
    if ((q.devnet !== undefined && p.devnet !== q.devnet) || (q.network !== undefined && p.network !== q.network)) continue;
    push(p.at, ['pending', '', p.taskId, p.deviceId, '', '', '', '', '', '', '', '', '', '', synor(p.estimateWei), p.url, p.devnet]);
  }
  rows.sort((a, b) => a.at - b.at || a.n - b.n);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.cells.map(cell).join(','))].join('\r\n') + '\r\n';
}
