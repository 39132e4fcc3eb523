import { z } from 'zod';
import { byText } from '../../common/text.js';
import type { EarningsBucket, EarningsQuery, EarningsSummary } from '../../common/network.js';
import { ReceiptSchema, ResourceTypeSchema, type Receipt } from '../../common/protocol.js';
import type { EpochSums, Pending, PendingResult, SeriesInfo, Slot, SlotQuery } from './epoch-sums.js';
import { SlotRowsSchema, type SlotRow } from './slot-rows.js';
import { SeriesSlots } from './slot-line.js';
import { summarize } from './summary.js';
import type { LedgerRecord, Submitted } from './record.js';
import { LedgerSourceSchema, networkKey, type LedgerSource } from './source.js';

/**
 * What the ledger's lines add up to, kept as sums per time slot instead of the lines themselves, so memory and every
 * earnings query grow with the time covered, not with the number of tasks. Slots are minutes for the newest two days
 * (the dashboard's rate over the last hour) and quarter hours before (every UTC offset in use is a whole number of
 * quarter hours, so local days are cut exactly). Serializable, so a start reads these sums instead of the history.
 */

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
/** Minute slots older than this (behind the newest receipt) are merged into quarter hours. */
const FINE_WINDOW_MS = 48 * 3_600_000;
/** Receipts kept whole for the receipt list, the throughput figure and the standing. */
const RECENT = 1_000;
/** Compute tasks whose receipt came, remembered so a late or repeated submission is not counted as pending again. */
const SETTLED = 4_096;

const RecentReceiptSchema = ReceiptSchema.extend({ devnet: z.boolean(), coordinator: z.string() });
export type RecentReceipt = z.infer<typeof RecentReceiptSchema>;

const Wei = z.string().regex(/^-?[0-9]{1,90}$/);
/** The index file's form of the totals (a file read back, so parsed like any boundary). */
export const TotalsJsonSchema = z
  .object({
    newestAt: z.number().int(),
    series: z.array(
      z
        .object({
          network: z.string(),
          devnet: z.boolean(),
          deviceId: z.string(),
          resource: ResourceTypeSchema,
          minutes: SlotRowsSchema,
          quarters: SlotRowsSchema,
        })
        .strict(),
    ),
    /** Every network earned on, by `networkKey`, with the URL it was last reached at. */
    networks: z.array(z.tuple([z.string(), LedgerSourceSchema])),
    pending: z.array(z.tuple([z.string(), z.number().int(), z.string(), z.boolean(), z.string(), Wei, z.string()])),
    settled: z.array(z.string()),
    seqs: z.array(
      z.tuple([
        z.string(),
        z.object({ max: z.number().int().nonnegative(), gaps: z.array(z.tuple([z.number().int(), z.number().int()])) }).strict(),
      ]),
    ),
    recent: z.array(RecentReceiptSchema),
  })
  .strict();
export type TotalsJson = z.infer<typeof TotalsJsonSchema>;

interface Series extends SeriesInfo {
  minutes: Map<number, Slot>;
  quarters: Map<number, Slot>;
  /** Both maps' slots in time order with running sums, told of every change: what queries read. */
  line: SeriesSlots;
}
/** Per coordinator and device: the highest receipt seq, and the seqs below it not seen yet (as inclusive ranges). */
interface Seqs {
  max: number;
  gaps: [number, number][];
}

/** A task as settled by its compute receipt: coordinator (any case), device, task id. */
export const taskKey = (coordinator: string, deviceId: string, taskId: string): string =>
  `${coordinator.toLowerCase()}\n${deviceId}\n${taskId}`;
/** Work paid by the FLOP (a task's compute receipt), not its transfer or time online. */
export const isCompute = (r: Pick<Receipt, 'resourceType'>): boolean => r.resourceType === 'gpu' || r.resourceType === 'cpu';
/** A receipt's numbering is per coordinator and device. */
const seqKey = (coordinator: string, deviceId: string): string => `${coordinator.toLowerCase()}\n${deviceId}`;
const seriesKey = (s: Pick<Series, 'network' | 'deviceId' | 'resource'>): string => `${s.network}\n${s.deviceId}\n${s.resource}`;
const zero = (): { wei: bigint; receipts: number } => ({ wei: 0n, receipts: 0 });
const slotLines = (minutes: Map<number, Slot>, quarters: Map<number, Slot>): SeriesSlots =>
  new SeriesSlots([
    [minutes, MINUTE],
    [quarters, QUARTER],
  ]);

export class LedgerTotals {
  private readonly series = new Map<string, Series>();
  private readonly pending = new Map<string, Pending>();
  private readonly settled: string[] = [];
  private readonly settledSet = new Set<string>();
  private readonly seqs = new Map<string, Seqs>();
  private recent: RecentReceipt[] = [];
  private newestAt = 0;
  /** Per network, every receipt's wei and count, kept as they come: the dashboard's total without a pass over the slots. */
  private readonly all = new Map<string, { wei: bigint; receipts: number }>();
  /** Each network earned on (`networkKey`) and where it was last reached. */
  private readonly known = new Map<string, LedgerSource>();

  /** False for an epoch already counted (any of its receipts: coordinator, device, seq). */
  isNew(record: LedgerRecord): boolean {
    const { deviceId, firstSeq, lastSeq } = record.signed.epoch;
    const s = this.seqs.get(seqKey(record.source.coordinator, deviceId));
    return !s || firstSeq > s.max || s.gaps.some(([a, b]) => firstSeq >= a && lastSeq <= b);
  }

  /** False for a result already pending or settled. */
  isNewSubmission(entry: Submitted): boolean {
    const key = taskKey(entry.source.coordinator, entry.deviceId, entry.taskId);
    return !this.pending.has(key) && !this.settledSet.has(key);
  }

  addSubmission(entry: Submitted): void {
    const key = taskKey(entry.source.coordinator, entry.deviceId, entry.taskId);
    this.pending.set(key, {
      at: entry.at,
      network: networkKey(entry.source),
      devnet: entry.source.devnet,
      deviceId: entry.deviceId,
      estimateWei: entry.estimateWei,
      url: entry.source.url,
    });
  }

  /**
   * Counts an epoch (call only for epochs `isNew` accepts) at the minute of its last receipt, per resource; with its
   * receipts (as appended, not when re-read at a start), also settles their tasks and keeps them as the newest.
   */
  add(record: LedgerRecord, receipts: readonly Receipt[] = []): void {
    const e = record.signed.epoch;
    const { coordinator, devnet } = record.source;
    const network = networkKey(record.source);
    this.known.set(network, record.source);
    this.markSeen(seqKey(coordinator, e.deviceId), e.firstSeq, e.lastSeq);
    this.newestAt = Math.max(this.newestAt, e.closedAt);
    const all = this.all.get(network) ?? zero();
    this.all.set(network, all);
    for (const sum of e.sums) {
      const key = { network, devnet, deviceId: e.deviceId, resource: sum.resourceType };
      let series = this.series.get(seriesKey(key));
      if (!series) {
        const [minutes, quarters] = [new Map<number, Slot>(), new Map<number, Slot>()];
        this.series.set(seriesKey(key), (series = { ...key, minutes, quarters, line: slotLines(minutes, quarters) }));
      }
      const fine = e.closedAt > this.newestAt - FINE_WINDOW_MS;
      const [slots, size] = fine ? [series.minutes, MINUTE] : [series.quarters, QUARTER];
      const start = Math.floor(e.closedAt / size) * size;
      const slot = slots.get(start) ?? { wei: 0n, units: 0, receipts: 0, rejected: 0 };
      slot.wei += BigInt(sum.totalWei);
      slot.units += Number(sum.units);
      slot.receipts += sum.receipts;
      slot.rejected += sum.rejected;
      slots.set(start, slot);
      series.line.touched(start, size);
      all.wei += BigInt(sum.totalWei);
      all.receipts += sum.receipts;
    }
    for (const r of receipts) {
      if (isCompute(r)) this.settle(taskKey(coordinator, r.deviceId, r.taskId));
      this.recent.push({ ...r, devnet, coordinator });
    }
    if (this.recent.length > 2 * RECENT) this.recent = this.recent.slice(-RECENT);
  }

  /** Keeps receipts read back from the detail files as the newest (a recount from the lines has their sums only). */
  remember(receipts: readonly Receipt[], source: Pick<LedgerSource, 'devnet' | 'coordinator'>): void {
    for (const r of receipts) this.recent.push({ ...r, devnet: source.devnet, coordinator: source.coordinator });
    if (this.recent.length > 2 * RECENT) this.recent = this.recent.slice(-RECENT);
  }

  /** Marks seqs `first`..`last` seen (callers ask `isNew` first, so the range is new: past the max, or in one gap). */
  private markSeen(key: string, first: number, last: number): void {
    const s = this.seqs.get(key) ?? { max: 0, gaps: [] };
    if (first > s.max) {
      if (first > s.max + 1) s.gaps.push([s.max + 1, first - 1]);
      s.max = last;
    } else {
      const i = s.gaps.findIndex(([a, b]) => first >= a && last <= b);
      const gap = s.gaps[i];
      if (!gap) return;
      const [a, b] = gap;
      const left: [number, number][] = [
        [a, first - 1],
        [last + 1, b],
      ];
      s.gaps.splice(i, 1, ...left.filter(([x, y]) => x <= y));
    }
    this.seqs.set(key, s);
  }

  private settle(key: string): void {
    this.pending.delete(key);
    if (this.settledSet.has(key)) return;
    this.settled.push(key);
    this.settledSet.add(key);
    const oldest = this.settled.length > SETTLED ? this.settled.shift() : undefined;
    if (oldest !== undefined) this.settledSet.delete(oldest);
  }

  /** Merges minute slots that left the newest two days into quarter hours (kept small between saves). */
  compact(): void {
    const edge = this.newestAt - FINE_WINDOW_MS;
    for (const series of this.series.values()) {
      for (const [start, slot] of series.minutes) {
        if (start + MINUTE > edge) continue;
        const q = Math.floor(start / QUARTER) * QUARTER;
        const into = series.quarters.get(q) ?? { wei: 0n, units: 0, receipts: 0, rejected: 0 };
        into.wei += slot.wei;
        into.units += slot.units;
        into.receipts += slot.receipts;
        into.rejected += slot.rejected;
        series.quarters.set(q, into);
        series.minutes.delete(start);
        series.line.removed(start, MINUTE);
        series.line.touched(q, QUARTER);
      }
    }
  }

  /** Calls `each` for every series of the networks the query picks (whatever its time range), with its slots. */
  eachSeries(q: SlotQuery, each: (series: Series, line: SeriesSlots) => void): void {
    for (const series of this.series.values()) {
      if (q.devnet !== undefined && series.devnet !== q.devnet) continue;
      if (q.network !== undefined && series.network !== q.network) continue;
      each(series, series.line);
    }
  }

  /**
   * Calls `each` for every slot of the series the query picks, with its start. A slot counts when it overlaps the
   * range: a range that starts inside a slot (since sharing went on) takes that slot whole, or its first epoch would
   * be left out.
   */
  eachSlot(q: SlotQuery, each: (series: Series, start: number, slot: Slot) => void): void {
    this.eachSeries(q, (series, line) => line.pick(q.fromMs, q.toMs).each((start, slot) => each(series, start, slot)));
  }

  /** Confirmed = signed receipts; pending = results the coordinator acknowledged whose receipt has not come yet. */
  summary(query: EarningsQuery = {}): EarningsSummary {
    return summarize(this, query);
  }

  /**
   * The total of one network (all of them when `network` is left out), as `summary({ network }).total` has it, at the
   * cost of the pending results only (each receipt).
   */
  total(network?: string): EarningsBucket {
    const { confirmedWei, pendingWei, receipts, pendingTasks } = this.networkTotal(network);
    return { key: 'total', confirmedWei: String(confirmedWei), pendingWei: String(pendingWei), receipts, pendingTasks };
  }

  /** `total`'s figures in wei. */
  networkTotal(network?: string): { confirmedWei: bigint; pendingWei: bigint; receipts: number; pendingTasks: number } {
    const out = { confirmedWei: 0n, pendingWei: 0n, receipts: 0, pendingTasks: 0 };
    for (const [key, all] of this.all) {
      if (network !== undefined && key !== network) continue;
      out.confirmedWei += all.wei;
      out.receipts += all.receipts;
    }
    for (const p of this.pending.values()) {
      if (network !== undefined && p.network !== network) continue;
      out.pendingWei += p.estimateWei;
      out.pendingTasks++;
    }
    return out;
  }

  /** Every network with receipts or pending results: where it was last reached (pending ones: as acknowledged). */
  networks(): Map<string, Pick<LedgerSource, 'url' | 'devnet' | 'coordinator'>> {
    const out = new Map<string, Pick<LedgerSource, 'url' | 'devnet' | 'coordinator'>>();
    for (const p of this.pendingResults()) out.set(p.network, { url: p.url, devnet: p.devnet, coordinator: p.coordinator });
    for (const [key, source] of this.known) out.set(key, source);
    return out;
  }

  /**
   * Stops counting as pending the results of networks `keep` refuses that were acknowledged before `before`: their
   * network is no longer set, so their receipts may never be fetched. Should it be set again, the receipts still come
   * and are counted. Returns those given up.
   */
  giveUpPending(keep: (network: string) => boolean, before: number): PendingResult[] {
    const gone = this.pendingResults().filter((p) => !keep(p.network) && p.at < before);
    for (const p of gone) this.pending.delete(taskKey(p.coordinator, p.deviceId, p.taskId));
    return gone;
  }

  /**
   * Earned since `fromMs`, the hours online the coordinator counted (its availability receipts) in that time, and when
   * the first of those receipts was paid (null: none), so the caller knows how much of the time there is history for.
   */
  since(fromMs: number): { earnedWei: bigint; onlineHours: number; firstOnlineAt: number | null } {
    let earnedWei = 0n;
    let onlineMs = 0;
    let firstOnlineAt: number | null = null;
    this.eachSlot({ fromMs }, (series, start, slot) => {
      earnedWei += slot.wei;
      if (series.resource !== 'availability') return;
      onlineMs += slot.units;
      firstOnlineAt = Math.min(firstOnlineAt ?? start, start);
    });
    return { earnedWei, onlineHours: onlineMs / 3_600_000, firstOnlineAt };
  }

  /** Results still waiting for their receipt, oldest first. */
  pendingResults(): PendingResult[] {
    return [...this.pending]
      .map(([key, p]) => {
        const [coordinator = '', , taskId = ''] = key.split('\n');
        return { ...p, coordinator, taskId };
      })
      .sort((a, b) => a.at - b.at);
  }

  /** The newest receipts, oldest first (at most 1,000). */
  newest(): readonly RecentReceipt[] {
    return this.recent.slice(-RECENT);
  }

  /**
   * What the counted epochs add up to, per series and quarter hour (whatever the split into minutes), and the receipt
   * numbers seen: the same for any two totals of the same lines, so sums read from the index can be checked against a
   * fresh count of the signed epochs (`sameSums`). Work units are left out (floats), but for time online, which stays
   * exact. A copy: later epochs do not change it.
   */
  sums(): EpochSums {
    const series = new Map<string, Map<number, Slot>>();
    for (const [key, s] of this.series) {
      const quarters = new Map<number, Slot>();
      for (const [start, slot] of [...s.quarters, ...s.minutes]) {
        const q = Math.floor(start / QUARTER) * QUARTER;
        const into = quarters.get(q) ?? { wei: 0n, units: 0, receipts: 0, rejected: 0 };
        into.wei += slot.wei;
        into.units += s.resource === 'availability' ? slot.units : 0;
        into.receipts += slot.receipts;
        into.rejected += slot.rejected;
        quarters.set(q, into);
      }
      series.set(key, quarters);
    }
    const seqs = new Map([...this.seqs].map(([key, s]) => [key, `${s.max}:${s.gaps.map(String).sort(byText).join(';')}`]));
    return { series, seqs };
  }

  /** Takes over `from`'s pending results (kept in the index only), as a recount from the lines cannot find them. */
  keepPending(from: LedgerTotals): void {
    for (const [key, p] of from.pending) if (!this.settledSet.has(key)) this.pending.set(key, p);
  }

  toJSON(): TotalsJson {
    const slots = (m: Map<number, Slot>): TotalsJson['series'][number]['minutes'] =>
      [...m].map(([start, s]) => [start, String(s.wei), s.units, s.receipts, s.rejected]);
    return {
      newestAt: this.newestAt,
      series: [...this.series.values()].map((s) => ({
        network: s.network,
        devnet: s.devnet,
        deviceId: s.deviceId,
        resource: s.resource,
        minutes: slots(s.minutes),
        quarters: slots(s.quarters),
      })),
      networks: [...this.known],
      pending: [...this.pending].map(([key, p]) => [key, p.at, p.network, p.devnet, p.deviceId, String(p.estimateWei), p.url]),
      settled: this.settled,
      seqs: [...this.seqs].map(([key, s]) => [key, { max: s.max, gaps: s.gaps }]),
      recent: [...this.newest()],
    };
  }

  static fromJSON(json: TotalsJson): LedgerTotals {
    const t = new LedgerTotals();
    t.newestAt = json.newestAt;
    for (const s of json.series) {
      const all = t.all.get(s.network) ?? zero();
      t.all.set(s.network, all);
      // A plain loop: a year is ~100,000 rows, read at every start.
      const slots = (rows: SlotRow[]): Map<number, Slot> => {
        const map = new Map<number, Slot>();
        for (const row of rows) {
          const slot = { wei: BigInt(row[1]), units: row[2], receipts: row[3], rejected: row[4] };
          map.set(row[0], slot);
          all.wei += slot.wei;
          all.receipts += slot.receipts;
        }
        return map;
      };
      const series = { network: s.network, devnet: s.devnet, deviceId: s.deviceId, resource: s.resource };
      const [minutes, quarters] = [slots(s.minutes), slots(s.quarters)];
      t.series.set(seriesKey(series), { ...series, minutes, quarters, line: slotLines(minutes, quarters) });
    }
    for (const [key, source] of json.networks) t.known.set(key, source);
    for (const [key, at, network, devnet, deviceId, wei, url] of json.pending)
      t.pending.set(key, { at, network, devnet, deviceId, estimateWei: BigInt(wei), url });
    for (const key of json.settled) t.settle(key);
    for (const [key, s] of json.seqs) t.seqs.set(key, s);
    t.recent = json.recent;
    return t;
  }
}
