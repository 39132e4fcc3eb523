// The earnings summary against a plain walk over the slots the index keeps (the way it was computed before the running
// sums of ledger/slot-line.ts): random epochs for a ledger's totals, and both sets of figures for many queries.
import type { EarningsQuery, EarningsSummary } from '../../main/common/network.js';
import type { ResourceType } from '../../main/common/protocol.js';
import { barStart, nextBar, stepFor } from '../../main/core/ledger/series.js';
import type { LedgerTotals, TotalsJson } from '../../main/core/ledger/totals.js';

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const DAY = 86_400_000;

/** A small deterministic generator (mulberry32), so a failure can be run again. */
export function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const networks = [
  { url: 'https://a.example/', devnet: false, coordinator: '0x' + '1'.repeat(40), chainId: 1 },
  { url: 'http://127.0.0.1:1/', devnet: true, coordinator: '0x' + '2'.repeat(40), chainId: 31337 },
];
const devices = ['dev-a', 'dev-b'];
const resources: ResourceType[] = ['cpu', 'availability', 'bandwidth'];

/**
 * `count` epochs from `from`, mostly in time order (a few minutes apart, a third of them after a pause of up to
 * `pauseMs`), one in twenty late (older than the minute window), minutes merged now and then. Returns the last time.
 */
export function fillTotals(totals: LedgerTotals, rnd: (n: number) => number, count: number, from: number, pauseMs = 6 * 3_600_000): number {
  const seqs = new Map<string, number>();
  let at = from;
  for (let i = 0; i < count; i++) {
    at += rnd(3) === 0 ? rnd(pauseMs) : rnd(5 * MINUTE);
    const late = rnd(20) === 0;
    const closedAt = late ? at - 3 * DAY - rnd(10 * DAY) : at;
    const source = networks[rnd(2)]!;
    const deviceId = devices[rnd(2)]!;
    const key = `${source.coordinator}${deviceId}`;
    const firstSeq = (seqs.get(key) ?? 0) + 1;
    seqs.set(key, firstSeq + 2);
    const sums = resources
      .filter(() => rnd(3) > 0)
      .map((resourceType) => ({
        resourceType,
        receipts: 1 + rnd(5),
        rejected: rnd(3),
        units: String(1 + rnd(600_000)),
        totalWei: String(BigInt(1 + rnd(1e9)) * 1_000_000_007n),
      }));
    if (sums.length === 0) continue;
    const totalWei = String(sums.reduce((n, s) => n + BigInt(s.totalWei), 0n));
    const epoch = { deviceId, owner: '0x' + '3'.repeat(40), firstSeq, lastSeq: firstSeq + 2, root: '0x' + 'cd'.repeat(32) };
    const signed = { epoch: { ...epoch, openedAt: closedAt - 1, closedAt, sums, totalWei, issuedAt: closedAt + 1 }, signature: '0x00' };
    totals.add({ kind: 'epoch', at: closedAt, source, signed });
    if (rnd(7) === 0) totals.addSubmission({ at: at + rnd(MINUTE), source, taskId: `t-${i}`, deviceId, estimateWei: BigInt(1 + rnd(1e6)) });
    if (rnd(150) === 0) totals.compact();
  }
  return at;
}

/**
 * The summary as a plain walk over every slot of the index form (the way it was computed before the running sums):
 * its confirmed figures, and where its bars start (from the range's start, or the history's when later, to its end).
 */
function walked(totals: LedgerTotals, json: TotalsJson, query: EarningsQuery): Record<string, unknown> {
  const off = query.utcOffsetMinutes ?? 0;
  const from = query.fromMs ?? -Infinity;
  const to = query.toMs ?? Infinity;
  const day = (at: number): string => new Date(at + off * MINUTE).toISOString().slice(0, 10);
  const mine = (s: { devnet: boolean; network: string }): boolean =>
    (query.devnet === undefined || s.devnet === query.devnet) && (query.network === undefined || s.network === query.network);
  const buckets = new Map<string, bigint>();
  const picked: { start: number; wei: bigint }[] = [];
  let history = Infinity;
  let rejected = 0;
  for (const s of json.series.filter(mine)) {
    for (const [rows, size] of [
      [s.minutes, MINUTE],
      [s.quarters, QUARTER],
    ] as const)
      for (const [start, wei, , receipts, rej] of rows) {
        history = Math.min(history, start);
        if (start + size <= from || start >= to) continue;
        for (const key of ['total', `day ${day(start)}`, `device ${s.deviceId}`, `resource ${s.resource}`, `network ${s.network}`]) {
          buckets.set(key, (buckets.get(key) ?? 0n) + BigInt(wei));
          buckets.set(`${key} receipts`, (buckets.get(`${key} receipts`) ?? 0n) + BigInt(receipts));
        }
        rejected += rej;
        picked.push({ start, wei: BigInt(wei) });
      }
  }
  const pending = totals.pendingResults().filter(mine);
  for (const p of pending) history = Math.min(history, p.at);
  const times = [...picked.map((p) => p.start), ...pending.filter((p) => p.at >= from && p.at < to).map((p) => p.at)];
  const first = query.fromMs === undefined ? Math.min(...times) : Math.max(query.fromMs, Number.isFinite(history) ? history : -Infinity);
  const end = query.toMs ?? Math.max(...times) + 1;
  const starts: number[] = [];
  if (times.length > 0 || end > first) {
    const step = stepFor(end - first);
    starts.push(barStart(first, step, off));
    for (let at = nextBar(starts[0]!, step, off); at < end; at = nextBar(at, step, off)) starts.push(at);
  }
  const barWei = starts.map(() => 0n);
  for (const p of picked) {
    // The last bar starting at or before the slot (the first for an earlier one), by bisection.
    let bar = 0;
    for (let step = 1 << 12; step > 0; step >>= 1) if (bar + step < starts.length && starts[bar + step]! <= p.start) bar += step;
    barWei[bar]! += p.wei;
  }
  return { buckets: Object.fromEntries(buckets), rejected, starts, barWei: barWei.map(String) };
}

/** The same figures, read from the summary (confirmed only: pending results are not in slots). */
function summed(s: EarningsSummary): Record<string, unknown> {
  const buckets = new Map<string, bigint>();
  const put = (prefix: string, list: EarningsSummary['byDay']): void => {
    for (const b of list) {
      if (b.receipts === 0) continue; // pending results only
      buckets.set(prefix + b.key, BigInt(b.confirmedWei));
      buckets.set(`${prefix}${b.key} receipts`, BigInt(b.receipts));
    }
  };
  put('', [s.total]);
  put('day ', s.byDay);
  put('device ', s.byDevice);
  put('resource ', s.byResource);
  put('network ', s.byNetwork);
  const bars = s.series.bars;
  return {
    buckets: Object.fromEntries(buckets),
    rejected: s.rejected,
    starts: bars.map((b) => b.start),
    barWei: bars.map((b) => b.confirmedWei),
  };
}

function queries(rnd: (n: number) => number, start: number, end: number): EarningsQuery[] {
  const out: EarningsQuery[] = [
    {},
    { utcOffsetMinutes: 345 },
    { fromMs: end - 3_600_000 },
    { fromMs: end - 30 * DAY, utcOffsetMinutes: 345 },
  ];
  for (let i = 0; i < 20; i++) {
    const q: EarningsQuery = { utcOffsetMinutes: rnd(1681) - 840 };
    // Most starts fall on a minute or a quarter hour: a slot that ends right there is not counted, one across it is.
    const unit = [1, MINUTE, QUARTER][rnd(3)]!;
    if (rnd(4) > 0) q.fromMs = Math.floor((start + rnd(end - start)) / unit) * unit;
    if (rnd(3) === 0) q.toMs = (q.fromMs ?? start) + rnd(20 * DAY);
    if (rnd(4) === 0) q.devnet = rnd(2) === 0;
    out.push(q);
  }
  return out;
}

/**
 * The summary's confirmed figures beside a plain walk's, for the page's usual queries and 20 random ones (ranges
 * starting on a millisecond, a minute or a quarter hour, any UTC offset, either kind of network) between `start` and `end`.
 */
export function summaryBesideWalk(
  totals: LedgerTotals,
  rnd: (n: number) => number,
  start: number,
  end: number,
): { query: EarningsQuery; summary: Record<string, unknown>; walk: Record<string, unknown> }[] {
  const json = totals.toJSON();
  return queries(rnd, start, end).map((query) => ({ query, summary: summed(totals.summary(query)), walk: walked(totals, json, query) }));
}
