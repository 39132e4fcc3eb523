import type { Slot } from './epoch-sums.js';

/** What a run of slots adds up to. */
export interface SlotSum {
  wei: bigint;
  receipts: number;
  rejected: number;
}

const none = (): SlotSum => ({ wei: 0n, receipts: 0, rejected: 0 });
const less = (a: SlotSum, b: SlotSum): SlotSum => ({
  wei: a.wei - b.wei,
  receipts: a.receipts - b.receipts,
  rejected: a.rejected - b.rejected,
});
function addTo(sum: SlotSum, slot: SlotSum): void {
  sum.wei += slot.wei;
  sum.receipts += slot.receipts;
  sum.rejected += slot.rejected;
}

/** What an index past the end reads (never, by construction: indexes come from `bound` and `count`). */
const EMPTY: Slot = Object.freeze({ wei: 0n, units: 0, receipts: 0, rejected: 0 });

/** Slots per block of running sums: a window's sum adds at most 2 × 15 slots to two of them. */
const BLOCK = 16;

/**
 * One map's slots (all `size` long) in time order, with the running sum before every BLOCK-th slot, kept up to date as
 * the map's slots are created, added to or taken out: the sum of any time window costs two bisections and a few
 * additions instead of a pass over every slot (a year is ~35,000 quarter hours a series, and each earnings query asks
 * for its days and bars). 16 bytes a slot (a year of a busy device's series is ~100,000 slots).
 */
class SlotLine {
  private starts: Float64Array;
  /** The map's own slot objects, changed in place by the totals, which tell the line (`touched`). */
  private readonly slots: Slot[];
  /** `before[b]`: the sum of the slots before slot b × BLOCK; right for b < `valid` only. */
  private readonly before: SlotSum[] = [none()];
  private valid = 1;
  /** Starts taken out of the map, taken out of the line together before it is read (merging takes out thousands). */
  private gone: number[] = [];

  constructor(
    private readonly map: ReadonlyMap<number, Slot>,
    readonly size: number,
  ) {
    // One pass over the map, read at every start: its slots were made, and are read back, in time order.
    const entries = [...map];
    if (!entries.every(([start], i) => i === 0 || start >= (entries[i - 1]?.[0] ?? start))) entries.sort((a, b) => a[0] - b[0]);
    this.starts = new Float64Array(entries.length + 64);
    entries.forEach(([start], i) => (this.starts[i] = start));
    this.slots = entries.map(([, slot]) => slot);
  }

  /** After the map's slot at `start` was created or added to. */
  touched(start: number): void {
    this.settle();
    const i = this.bound(start);
    const slot = this.map.get(start);
    if (slot && (i === this.slots.length || this.starts[i] !== start)) {
      if (this.slots.length === this.starts.length) {
        const grown = new Float64Array(Math.ceil(this.slots.length * 1.5) + 64);
        grown.set(this.starts);
        this.starts = grown;
      }
      this.starts.copyWithin(i + 1, i, this.slots.length);
      this.starts[i] = start;
      this.slots.splice(i, 0, slot);
    }
    this.changedAt(i);
  }

  /** After the map's slot at `start` was taken out (merged into a longer one). */
  removed(start: number): void {
    this.gone.push(start);
  }

  /** Takes out the slots `removed` told of, in one pass. */
  settle(): void {
    if (this.gone.length === 0) return;
    const gone = new Set(this.gone);
    this.gone = [];
    let kept = 0;
    for (let i = 0; i < this.slots.length; i++) {
      if (gone.has(this.start(i))) {
        this.changedAt(kept);
        continue;
      }
      this.starts[kept] = this.start(i);
      this.slots[kept++] = this.slot(i);
    }
    this.slots.length = kept;
  }

  count(): number {
    return this.slots.length;
  }

  start(i: number): number {
    return this.starts[i] ?? NaN;
  }

  slot(i: number): Slot {
    return this.slots[i] ?? EMPTY;
  }

  /** The index of the first slot starting at or after `at`. */
  bound(at: number): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.start(mid) < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The sum of slots `i` to `j` (by index, `j` left out). */
  sum(i: number, j: number): SlotSum {
    return j <= i ? none() : less(this.prefix(j), this.prefix(i));
  }

  /** The sum of the slots before slot `k`. */
  prefix(k: number): SlotSum {
    const block = Math.floor(k / BLOCK);
    for (; this.valid <= block; this.valid++) {
      const sum = { ...(this.before[this.valid - 1] ?? none()) };
      for (let i = (this.valid - 1) * BLOCK; i < this.valid * BLOCK; i++) addTo(sum, this.slot(i));
      this.before[this.valid] = sum;
    }
    const sum = { ...(this.before[block] ?? none()) };
    for (let i = block * BLOCK; i < k; i++) addTo(sum, this.slot(i));
    return sum;
  }

  private changedAt(i: number): void {
    this.valid = Math.min(this.valid, Math.floor(i / BLOCK) + 1);
  }
}

/** A series' slots of both lengths (minutes, quarter hours), each map with its line of running sums. */
export class SeriesSlots {
  private readonly lines: SlotLine[];

  constructor(maps: readonly (readonly [ReadonlyMap<number, Slot>, number])[]) {
    this.lines = maps.map(([map, size]) => new SlotLine(map, size));
  }

  /** After the slot `size` long at `start` was created or added to in its map. */
  touched(start: number, size: number): void {
    this.lines.find((line) => line.size === size)?.touched(start);
  }

  /** After the slot `size` long at `start` was taken out of its map. */
  removed(start: number, size: number): void {
    this.lines.find((line) => line.size === size)?.removed(start);
  }

  /** The start of the first slot, or null for none. */
  first(): number | null {
    for (const line of this.lines) line.settle();
    const starts = this.lines.filter((line) => line.count() > 0).map((line) => line.start(0));
    return starts.length > 0 ? Math.min(...starts) : null;
  }

  /** The slots overlapping [from, to): those starting in it, and any the range starts inside of. */
  pick(from = -Infinity, to = Infinity): PickedSlots {
    for (const line of this.lines) line.settle();
    return new PickedSlots(
      this.lines.map((line) => {
        const lo = line.bound(from);
        const hi = Math.max(lo, line.bound(to));
        // Slots of one length do not overlap: only the one before the range's start may reach into it.
        const inside = lo > 0 && line.start(lo - 1) + line.size > from && line.start(lo - 1) < to ? lo - 1 : null;
        return { line, lo: inside ?? lo, hi };
      }),
    );
  }
}

/** The slots a query picked: a run of each line's, by index. */
export class PickedSlots {
  constructor(private readonly runs: readonly { line: SlotLine; lo: number; hi: number }[]) {}

  /** The first and last slot's start, or null for none. */
  span(): [number, number] | null {
    const held = this.runs.filter((r) => r.hi > r.lo);
    if (held.length === 0) return null;
    return [Math.min(...held.map((r) => r.line.start(r.lo))), Math.max(...held.map((r) => r.line.start(r.hi - 1)))];
  }

  /** The sum of the picked slots starting in [a, b). */
  between(a: number, b: number): SlotSum {
    const sum = none();
    for (const { line, lo, hi } of this.runs) {
      const clamp = (at: number): number => Math.min(hi, Math.max(lo, line.bound(at)));
      addTo(sum, line.sum(a === -Infinity ? lo : clamp(a), b === Infinity ? hi : clamp(b)));
    }
    return sum;
  }

  /**
   * Calls `each` for the picked slots of every group (a time window: `groupOf` gives the start and end of the one
   * holding a time) that holds any, with their sum; a group may be told more than once (once for each slot length).
   */
  groups(groupOf: (start: number) => [number, number], each: (group: number, sum: SlotSum) => void): void {
    for (const { line, lo, hi } of this.runs) {
      // Each group ends where the next begins: one running sum a boundary.
      let before = line.prefix(lo);
      for (let i = lo; i < hi;) {
        const [group, end] = groupOf(line.start(i));
        const j = Math.min(hi, line.bound(end));
        const upTo = line.prefix(j);
        each(group, less(upTo, before));
        [i, before] = [j, upTo];
      }
    }
  }

  /** Calls `each` for every picked slot. */
  each(each: (start: number, slot: Slot) => void): void {
    for (const { line, lo, hi } of this.runs) for (let i = lo; i < hi; i++) each(line.start(i), line.slot(i));
  }
}
