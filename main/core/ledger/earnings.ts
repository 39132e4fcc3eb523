import type { EarningsQuery } from '../../common/network.js';
import { EarningsQuerySchema } from '../../common/network.js';
import { formatSynor, WORK_UNIT } from '../economics/rewards.js';
import type { LedgerRecord } from './ledger.js';
import { taskKey } from './totals.js';

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

/** `n`: the record's place in the file, so rows of the same time keep the file's order. */
type Row = { at: number; n: number; cells: (string | number | boolean)[] };

/** One row per receipt and per result still waiting for one, oldest first; `records` are read as they come. */
export async function earningsCsv(records: AsyncIterable<LedgerRecord>, query: EarningsQuery = {}): Promise<string> {
  const q = EarningsQuerySchema.parse(query);
  const rows: Row[] = [];
  const pending = new Map<string, Row>();
  let n = 0;
  for await (const r of records) {
    n++;
    if (q.devnet !== undefined && r.source.devnet !== q.devnet) continue;
    if (r.kind === 'submitted') {
      const cells = [new Date(r.at).toISOString(), 'pending', '', r.taskId, r.deviceId, '', '', '', '', '', '', '', '', '', '', formatSynor(BigInt(r.estimateWei)), r.source.url, r.source.devnet];
      pending.set(taskKey(r.source.coordinator, r.deviceId, r.taskId), { at: r.at, n, cells });
      continue;
    }
    const x = r.signed.receipt;
    pending.delete(taskKey(r.source.coordinator, x.deviceId, x.taskId));
    rows.push({
      at: x.issuedAt,
      n,
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
    });
  }
  rows.push(...pending.values());
  rows.sort((a, b) => a.at - b.at || a.n - b.n);
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.cells.map(cell).join(','))].join('\r\n') + '\r\n';
}
