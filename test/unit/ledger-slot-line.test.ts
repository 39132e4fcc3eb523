// The earnings summary reads windows of running sums (ledger/slot-line.ts) instead of walking every slot: its every
// figure (total, days, devices, resources, networks, rejected, each bar of the chart) must equal a plain walk over the
// slots the index keeps, to the wei, for any range, UTC offset and network, as epochs come in order and late, as minute
// slots are merged into quarter hours, and after the totals are read back from their index form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Slot } from '../../main/core/ledger/epoch-sums.js';
import { SeriesSlots } from '../../main/core/ledger/slot-line.js';
import { LedgerTotals, TotalsJsonSchema } from '../../main/core/ledger/totals.js';
import { fillTotals, random, summaryBesideWalk } from '../helpers/slot-walk.js';

const T = { timeout: 120_000 };
const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const DAY = 86_400_000;
const START = Date.UTC(2026, 7, 1);

function agree(totals: LedgerTotals, rnd: (n: number) => number, end: number, when: string): void {
  for (const { query, summary, walk } of summaryBesideWalk(totals, rnd, START, end))
    assert.deepEqual(summary, walk, `${when}: ${JSON.stringify(query)}`);
}

test('every figure of the summary equals a walk over every slot, live, merged and read back', T, () => {
  for (const seed of [1, 2]) {
    const rnd = random(seed);
    const totals = new LedgerTotals();
    let end = fillTotals(totals, rnd, 3_000, START);
    agree(totals, rnd, end, `seed ${seed}, live`);
    totals.compact();
    agree(totals, rnd, end, `seed ${seed}, merged`);
    const back = LedgerTotals.fromJSON(TotalsJsonSchema.parse(JSON.parse(JSON.stringify(totals.toJSON()))));
    agree(back, rnd, end, `seed ${seed}, read back`);
    end = fillTotals(back, rnd, 1_000, end);
    agree(back, rnd, end, `seed ${seed}, more after reading back`);
  }
});

test('a window sums exactly the picked slots starting in it, whatever was added, merged or taken out', T, () => {
  const rnd = random(7);
  const maps = new Map([
    [MINUTE, new Map<number, Slot>()],
    [QUARTER, new Map<number, Slot>()],
  ]);
  const slots = new SeriesSlots([...maps].map(([size, map]) => [map, size] as const));
  for (let i = 0; i < 5_000; i++) {
    const size = rnd(2) ? MINUTE : QUARTER;
    const map = maps.get(size)!;
    const start = START + Math.floor(rnd(3 * DAY) / size) * size;
    if (rnd(6) === 0 && map.has(start)) {
      map.delete(start);
      slots.removed(start, size);
    } else {
      const slot = map.get(start) ?? { wei: 0n, units: 0, receipts: 0, rejected: 0 };
      slot.wei += BigInt(rnd(1e9));
      map.set(start, slot);
      slots.touched(start, size);
    }
    if (i % 50 !== 0) continue;
    const from = START + rnd(3 * DAY);
    const to = from + rnd(DAY);
    const a = rnd(2) ? from - rnd(QUARTER) : from + rnd(DAY);
    const b = a + rnd(DAY);
    let want = 0n;
    for (const [size, map] of maps)
      for (const [start, slot] of map) if (start + size > from && start < to && start >= a && start < b) want += slot.wei;
    assert.equal(slots.pick(from, to).between(a, b).wei, want, `step ${i}`);
  }
});
