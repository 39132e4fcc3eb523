import type { EarningsBucket, EarningsQuery, EarningsSummary } from '../../common/network.js';
import { EarningsQuerySchema } from '../../common/network.js';
import { formatSynor, WORK_UNIT } from '../economics/rewards.js';
import type { LedgerRecord } from './ledger.js';

type ReceiptRecord = Extract<LedgerRecord, { kind: 'receipt' }>;
type SubmittedRecord = Extract<LedgerRecord, { kind: 'submitted' }>;

interface Acc {
  confirmed: bigint;
  pending: bigint;
  receipts: number;
  pendingTasks: number;
}

const taskKey = (coordinator: string, deviceId: string, taskId: string): string => `${coordinator}\n${deviceId}\n${taskId}`;
const isCompute = (r: ReceiptRecord): boolean => r.signed.receipt.resourceType === 'gpu' || r.signed.receipt.resourceType === 'cpu';

function dayOf(at: number, utcOffsetMinutes: number): string {
  return new Date(at + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Confirmed = signed receipts; pending = results the coordinator acknowledged whose receipt has not come yet. */
export function summarizeEarnings(records: readonly LedgerRecord[], query: EarningsQuery = {}): EarningsSummary {
  const q = EarningsQuerySchema.parse(query);
  const inRange = (r: LedgerRecord): boolean =>
    (q.devnet === undefined || r.source.devnet === q.devnet) && (q.fromMs === undefined || r.at >= q.fromMs) && (q.toMs === undefined || r.at < q.toMs);
  const chosen = records.filter(inRange);
  const receipted = new Set(
    chosen.filter((r): r is ReceiptRecord => r.kind === 'receipt' && isCompute(r)).map((r) => taskKey(r.source.coordinator, r.signed.receipt.deviceId, r.signed.receipt.taskId)),
  );
  const buckets = { total: new Map<string, Acc>(), day: new Map<string, Acc>(), device: new Map<string, Acc>(), resource: new Map<string, Acc>() };
  const add = (map: Map<string, Acc>, key: string, f: (acc: Acc) => void): void => {
    const acc = map.get(key) ?? { confirmed: 0n, pending: 0n, receipts: 0, pendingTasks: 0 };
    f(acc);
    map.set(key, acc);
  };
  let rejected = 0;
  for (const r of chosen) {
    if (r.kind === 'receipt') {
      const receipt = r.signed.receipt;
      if (receipt.status === 'rejected') rejected++;
      const f = (acc: Acc): void => {
        acc.confirmed += BigInt(receipt.totalWei);
        acc.receipts++;
      };
      add(buckets.total, 'total', f);
      add(buckets.day, dayOf(receipt.issuedAt, q.utcOffsetMinutes), f);
      add(buckets.device, receipt.deviceId, f);
      add(buckets.resource, receipt.resourceType, f);
    } else if (!receipted.has(taskKey(r.source.coordinator, r.deviceId, r.taskId))) {
      const f = (acc: Acc): void => {
        acc.pending += BigInt(r.estimateWei);
        acc.pendingTasks++;
      };
      add(buckets.total, 'total', f);
      add(buckets.day, dayOf(r.at, q.utcOffsetMinutes), f);
      add(buckets.device, r.deviceId, f);
    }
  }
  const out = (map: Map<string, Acc>): EarningsBucket[] =>
    [...map.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, acc]) => ({ key, confirmed: formatSynor(acc.confirmed), pending: formatSynor(acc.pending), receipts: acc.receipts, pendingTasks: acc.pendingTasks }));
  return {
    total: out(buckets.total)[0] ?? { key: 'total', confirmed: '0', pending: '0', receipts: 0, pendingTasks: 0 },
    rejected,
    byDay: out(buckets.day),
    byDevice: out(buckets.device),
    byResource: out(buckets.resource),
  };
}

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

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
function cell(value: string | number | boolean): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?[0-9.]+$/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per receipt and per result still waiting for one, oldest first. */
export function earningsCsv(records: readonly LedgerRecord[], query: EarningsQuery = {}): string {
  const q = EarningsQuerySchema.parse(query);
  const chosen = records.filter((r) => q.devnet === undefined || r.source.devnet === q.devnet);
  const receipted = new Set(
    chosen.filter((r): r is ReceiptRecord => r.kind === 'receipt').map((r) => taskKey(r.source.coordinator, r.signed.receipt.deviceId, r.signed.receipt.taskId)),
  );
  const rows = chosen.flatMap((r): { at: number; cells: (string | number | boolean)[] }[] => {
    if (r.kind === 'receipt') {
      const x = r.signed.receipt;
      return [
        {
          at: x.issuedAt,
          cells: [
            new Date(x.issuedAt).toISOString(),
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
            formatSynor(BigInt(x.baseWei)),
            formatSynor(BigInt(x.reputationBonusWei)),
            formatSynor(BigInt(x.uptimeBonusWei)),
            formatSynor(BigInt(x.totalWei)),
            r.source.url,
            r.source.devnet,
          ],
        },
      ];
    }
    const s: SubmittedRecord = r;
    if (receipted.has(taskKey(s.source.coordinator, s.deviceId, s.taskId))) return [];
    const pending = formatSynor(BigInt(s.estimateWei));
    return [{ at: s.at, cells: [new Date(s.at).toISOString(), 'pending', '', s.taskId, s.deviceId, '', '', '', '', '', '', '', '', '', '', pending, s.source.url, s.source.devnet] }];
  });
  rows.sort((a, b) => a.at - b.at);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.cells.map(cell).join(','))].join('\r\n') + '\r\n';
}
