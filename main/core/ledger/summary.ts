import { byText } from '../../common/text.js';
import { EarningsQuerySchema, type EarningsBucket, type EarningsQuery, type EarningsSummary } from '../../common/network.js';
import type { PendingResult, SeriesInfo, Slot, SlotQuery } from './epoch-sums.js';
import { Timeline } from './series.js';

/** The earnings summary (per day, device and resource) from a ledger's slot sums and its pending results. */
export interface SummarySource {
  eachSlot(q: SlotQuery, each: (series: SeriesInfo, start: number, slot: Slot) => void): void;
  pendingResults(): PendingResult[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const dayOf = (at: number, utcOffsetMinutes: number): string => new Date(at + utcOffsetMinutes * MINUTE).toISOString().slice(0, 10);
/** `dayOf` for many slots: one date string a day, not one a slot. */
function dayNamer(utcOffsetMinutes: number): (at: number) => string {
  const names = new Map<number, string>();
  return (at) => {
    const day = Math.floor((at + utcOffsetMinutes * MINUTE) / DAY);
    let name = names.get(day);
    if (name === undefined) names.set(day, (name = dayOf(at, utcOffsetMinutes)));
    return name;
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
  const day = dayNamer(q.utcOffsetMinutes);
  const perSeries = new Map<SeriesInfo, Sum>();
  const perDay = new Map<string, Sum>();
  let rejected = 0;
  const timeline = new Timeline();
  source.eachSlot(q, (series, start, slot) => {
    rejected += slot.rejected;
    timeline.addSlot(start, slot.wei, slot.receipts);
    bump(perSeries, series, slot);
    bump(perDay, day(start), slot);
  });
  const confirm =
    (sum: Sum) =>
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
  for (const [name, sum] of perDay) add(buckets.day, name, confirm(sum));
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
    series: timeline.series({ ...q, historyStart: q.fromMs === undefined ? null : historyStart(source, q) }),
    rejected,
    byDay: out(buckets.day),
    byDevice: out(buckets.device),
    byResource: out(buckets.resource),
    byNetwork: out(buckets.network),
  };
}

/** When the history of the networks `q` picks begins, whatever its range: its first slot or pending result. */
function historyStart(source: SummarySource, q: SlotQuery): number | null {
  let first = Infinity;
  const mine = { devnet: q.devnet, network: q.network };
  source.eachSlot(mine, (_series, start) => (first = Math.min(first, start)));
  for (const p of source.pendingResults())
    if ((mine.devnet === undefined || p.devnet === mine.devnet) && (mine.network === undefined || p.network === mine.network))
      first = Math.min(first, p.at);
  return Number.isFinite(first) ? first : null;
}

interface Acc {
  confirmed: bigint;
  pending: bigint;
  receipts: number;
  pendingTasks: number;
}

type Sum = { wei: bigint; receipts: number };
function bump<K>(map: Map<K, Sum>, key: K, slot: Slot): void {
  const sum = map.get(key) ?? { wei: 0n, receipts: 0 };
  sum.wei += slot.wei;
  sum.receipts += slot.receipts;
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
