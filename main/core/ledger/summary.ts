import { byText } from '../../common/text.js';
import { EarningsQuerySchema, type EarningsBucket, type EarningsQuery, type EarningsSummary } from '../../common/network.js';
import type { PendingResult, SeriesInfo, SlotQuery } from './epoch-sums.js';
import { Timeline } from './series.js';
import type { SeriesSlots, SlotSum } from './slot-line.js';

/** The earnings summary (per day, device and resource) from a ledger's slot sums and its pending results. */
export interface SummarySource {
  /** Every series of the networks `q` picks (whatever its time range), with its slots. */
  eachSeries(q: SlotQuery, each: (series: SeriesInfo, line: SeriesSlots) => void): void;
  pendingResults(): PendingResult[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const dayOf = (at: number, utcOffsetMinutes: number): string => new Date(at + utcOffsetMinutes * MINUTE).toISOString().slice(0, 10);
/** The local day (start and end) holding `at`. */
function localDay(utcOffsetMinutes: number): (at: number) => [number, number] {
  const shift = utcOffsetMinutes * MINUTE;
  return (at) => {
    const start = Math.floor((at + shift) / DAY) * DAY - shift;
    return [start, start + DAY];
  };
}

/** Confirmed = signed receipts; pending = results the coordinator acknowledged whose receipt has not come yet. */
export function summarize(source: SummarySource, query: EarningsQuery = {}): EarningsSummary {
  const q = EarningsQuerySchema.parse(query);
  const buckets = {
    total: new Map<string, Acc>(),
    day: new Map<string, Acc>(),
    device: new Map<string, Acc>(),
    resource: new Map<string, Acc>(),
    network: new Map<string, Acc>(),
  };
  const day = localDay(q.utcOffsetMinutes);
  const perSeries = new Map<SeriesInfo, SlotSum>();
  const perDay = new Map<number, SlotSum>();
  let rejected = 0;
  let firstSlot = Infinity;
  const timeline = new Timeline();
  // Sums of windows of the slots (the range, each day, each bar), not a pass over every slot of the history.
  source.eachSeries(q, (series, line) => {
    firstSlot = Math.min(firstSlot, line.first() ?? Infinity);
    const picked = line.pick(q.fromMs, q.toMs);
    if (!picked.span()) return;
    const sum = picked.between(-Infinity, Infinity);
    rejected += sum.rejected;
    timeline.addSlots(picked);
    bump(perSeries, series, sum);
    picked.groups(day, (start, daySum) => bump(perDay, start, daySum));
  });
  const confirm =
    (sum: SlotSum) =>
    (acc: Acc): void => {
      acc.confirmed += sum.wei;
      acc.receipts += sum.receipts;
    };
  for (const [series, sum] of perSeries) {
    add(buckets.total, 'total', confirm(sum));
    add(buckets.device, series.deviceId, confirm(sum));
    add(buckets.resource, series.resource, confirm(sum));
    add(buckets.network, series.network, confirm(sum));
  }
  for (const [start, sum] of perDay) add(buckets.day, dayOf(start, q.utcOffsetMinutes), confirm(sum));
  for (const p of source.pendingResults()) {
    if (
      (q.devnet !== undefined && p.devnet !== q.devnet) ||
      (q.network !== undefined && p.network !== q.network) ||
      (q.fromMs !== undefined && p.at < q.fromMs) ||
      (q.toMs !== undefined && p.at >= q.toMs)
    )
      continue;
    const f = (acc: Acc): void => {
      acc.pending += p.estimateWei;
      acc.pendingTasks++;
    };
    timeline.addPending(p.at, p.estimateWei);
    add(buckets.total, 'total', f);
    add(buckets.day, dayOf(p.at, q.utcOffsetMinutes), f);
    add(buckets.device, p.deviceId, f);
    add(buckets.network, p.network, f);
  }
  return {
    total: out(buckets.total)[0] ?? { key: 'total', confirmedWei: '0', pendingWei: '0', receipts: 0, pendingTasks: 0 },
    series: timeline.series({ ...q, historyStart: q.fromMs === undefined ? null : historyStart(source, q, firstSlot) }),
    rejected,
    byDay: out(buckets.day),
    byDevice: out(buckets.device),
    byResource: out(buckets.resource),
    byNetwork: out(buckets.network),
  };
}

/** When the history of the networks `q` picks begins, whatever its range: its first slot (`firstSlot`) or pending result. */
function historyStart(source: SummarySource, q: SlotQuery, firstSlot: number): number | null {
  let first = firstSlot;
  for (const p of source.pendingResults())
    if ((q.devnet === undefined || p.devnet === q.devnet) && (q.network === undefined || p.network === q.network))
      first = Math.min(first, p.at);
  return Number.isFinite(first) ? first : null;
}

interface Acc {
  confirmed: bigint;
  pending: bigint;
  receipts: number;
  pendingTasks: number;
}

function bump<K>(map: Map<K, SlotSum>, key: K, add: SlotSum): void {
  const sum = map.get(key) ?? { wei: 0n, receipts: 0, rejected: 0 };
  sum.wei += add.wei;
  sum.receipts += add.receipts;
  map.set(key, sum);
}

function add(map: Map<string, Acc>, key: string, f: (acc: Acc) => void): void {
  const acc = map.get(key) ?? { confirmed: 0n, pending: 0n, receipts: 0, pendingTasks: 0 };
  f(acc);
  map.set(key, acc);
}

const out = (map: Map<string, Acc>): EarningsBucket[] =>
  [...map.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([key, acc]) => ({
      key,
      confirmedWei: String(acc.confirmed),
      pendingWei: String(acc.pending),
      receipts: acc.receipts,
      pendingTasks: acc.pendingTasks,
    }));
