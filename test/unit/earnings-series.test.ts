// The earnings chart's bars (issue 28 item 2): their length follows how much history there is, and they add up to the
// total beside them to the wei, confirmed and pending apart, on every range and after every kind of restart (an index
// read back, a recount from the lines, a stop without a checkpoint).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { EarningsQuery, EarningsSummary } from '../../main/common/network.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { barStart, nextBar, stepFor, Timeline } from '../../main/core/ledger/series.js';
import { SeriesSlots } from '../../main/core/ledger/slot-line.js';
import type { Slot } from '../../main/core/ledger/epoch-sums.js';
import { tempDir } from '../helpers/fakes.js';
import { signedEpoch, testReceipt } from '../helpers/ledger.js';

const T = { timeout: 60_000 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const coordinator = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };

test(
  'the bar length follows the history: minutes for the first hour, 5 minutes for the first hours, then hours, days and months',
  T,
  () => {
    assert.equal(stepFor(10 * MINUTE), 'minute');
    assert.equal(stepFor(HOUR), 'minute');
    assert.equal(stepFor(HOUR + 1), '5m');
    assert.equal(stepFor(6 * HOUR), '5m');
    assert.equal(stepFor(6 * HOUR + 1), 'hour');
    assert.equal(stepFor(DAY), 'hour');
    assert.equal(stepFor(3 * DAY + 1), 'day');
    assert.equal(stepFor(30 * DAY), 'day');
    assert.equal(stepFor(92 * DAY + 1), 'month');
  },
);

test('days and months start at local midnight, hours and 5 minutes on local boundaries', T, () => {
  const at = Date.UTC(2026, 11, 31, 23, 7, 30); // 00:07:30 on 1 January in UTC+1
  assert.equal(barStart(at, 'day', 60), Date.UTC(2026, 11, 31, 23));
  assert.equal(barStart(at, 'day', 0), Date.UTC(2026, 11, 31));
  assert.equal(barStart(at, 'month', 60), Date.UTC(2026, 11, 31, 23), 'January, local');
  assert.equal(barStart(at, 'month', -300), Date.UTC(2026, 11, 1, 5), 'December at UTC-5');
  assert.equal(barStart(at, 'hour', 330), Date.UTC(2026, 11, 31, 22, 30), 'India: hours start at :30 UTC');
  assert.equal(barStart(at, '5m', 0), Date.UTC(2026, 11, 31, 23, 5));
  assert.equal(nextBar(Date.UTC(2026, 0, 31, 23), 'month', 60), Date.UTC(2026, 1, 28, 23), 'February is shorter');
  assert.equal(nextBar(Date.UTC(2026, 0, 1), 'day', 0), Date.UTC(2026, 0, 2));
});

test('every entry lands in exactly one bar: one before the range in the first, one at its end in the last', T, () => {
  const line = new Timeline();
  const from = Date.UTC(2026, 5, 1, 12);
  const slot = (wei: bigint, receipts: number): Slot => ({ wei, units: 0, receipts, rejected: 0 });
  // Slots picked from 5 minutes before the chart's first bar: the quarter hour that range starts inside of (counted,
  // in the first bar), a minute that ends before it (not counted), one inside.
  const quarters = new Map([[from - 15 * MINUTE, slot(5n, 1)]]);
  const minutes = new Map([
    [from - 7 * MINUTE, slot(3n, 1)],
    [from + 7 * MINUTE, slot(7n, 2)],
  ]);
  const slots = new SeriesSlots([
    [minutes, MINUTE],
    [quarters, 15 * MINUTE],
  ]);
  line.addSlots(slots.pick(from - 5 * MINUTE, from + 2 * HOUR));
  line.addPending(from + 119 * MINUTE, 11n);
  const series = line.series({ fromMs: from, toMs: from + 2 * HOUR, utcOffsetMinutes: 0, historyStart: from - DAY });
  assert.equal(series.step, '5m');
  assert.equal(series.bars.length, 24);
  assert.deepEqual(series.bars[0], { start: from, confirmedWei: '5', pendingWei: '0', receipts: 1 });
  assert.equal(series.bars[1]!.confirmedWei, '7');
  assert.equal(series.bars[23]!.pendingWei, '11');
  assert.deepEqual(new Timeline().series({ utcOffsetMinutes: 0, historyStart: null }), { step: 'minute', bars: [] });
});

test('a year of minute slots is laid out in months, every wei in a bar', T, () => {
  const line = new Timeline();
  const from = Date.UTC(2026, 0, 1);
  const minutes = 365 * 24 * 60;
  const slots = new Map(Array.from({ length: minutes }, (_, i) => [from + i * MINUTE, { wei: 1n, units: 0, receipts: 1, rejected: 0 }]));
  line.addSlots(new SeriesSlots([[slots, MINUTE]]).pick());
  const series = line.series({ utcOffsetMinutes: 0, historyStart: from });
  assert.equal(series.step, 'month');
  assert.equal(
    series.bars.reduce((sum, bar) => sum + BigInt(bar.confirmedWei), 0n),
    BigInt(minutes),
  );
});

/** The bars' sums in wei, confirmed and pending, beside the total's. */
function sums(s: EarningsSummary) {
  return {
    bars: [
      s.series.bars.reduce((n, b) => n + BigInt(b.confirmedWei), 0n),
      s.series.bars.reduce((n, b) => n + BigInt(b.pendingWei), 0n),
      s.series.bars.reduce((n, b) => n + b.receipts, 0),
    ],
    total: [BigInt(s.total.confirmedWei), BigInt(s.total.pendingWei), s.total.receipts],
  };
}

/** The page's ranges at `now`: from the start of the hour 23 hours back, local midnight 6 and 29 days back, all. */
function ranges(now: number): Record<string, EarningsQuery> {
  const hour = Math.floor(now / HOUR) * HOUR;
  const midnight = Math.floor(now / DAY) * DAY;
  return {
    day: { fromMs: hour - 23 * HOUR, toMs: now },
    week: { fromMs: midnight - 6 * DAY, toMs: now },
    month: { fromMs: midnight - 29 * DAY, toMs: now },
    all: { toMs: now },
  };
}

/** Epochs of one receipt each, `every` apart from `first`, `count` of them; the last `pending` tasks still pending. */
async function earn(ledger: Ledger, first: number, every: number, count: number, pending: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const at = first + i * every;
    const r = testReceipt(owner, { issuedAt: at, units: String(1_000_000_007 * (i + 1)) });
    await ledger.appendEpoch(at + 1, source, await signedEpoch([r], coordinator));
  }
  for (let i = 0; i < pending; i++)
    await ledger.submitted({
      at: first + count * every + i,
      source,
      taskId: `p-${first}-${i}`,
      deviceId: 'dev-a',
      estimateWei: 123_456_789n,
    });
}

test('a new user: every range shows more than one bar, in minutes, and they add up to the total', T, async () => {
  const dir = await tempDir();
  const ledger = await Ledger.open(join(dir, 'ledger.jsonl'));
  await ledger.verify(() => null, 0);
  const start = Date.UTC(2026, 11, 7, 9, 1);
  await earn(ledger, start, 20_000, 60, 3); // 20 minutes of work
  const now = start + 21 * MINUTE;
  for (const [name, q] of Object.entries(ranges(now))) {
    const s = ledger.sums.summary(q);
    assert.equal(s.series.step, 'minute', name);
    assert.ok(s.series.bars.length >= 20, `${name}: ${s.series.bars.length} bars`);
    assert.deepEqual(sums(s).bars, sums(s).total, name);
  }
});

test('bars add up to the totals on every range, before and after each kind of restart', T, async () => {
  const dir = await tempDir();
  const file = join(dir, 'ledger.jsonl');
  let ledger = await Ledger.open(file);
  await ledger.verify(() => null, 0);
  const now = Date.UTC(2026, 11, 7, 15, 42);
  // Four months of work, an epoch a few hours apart, then the newest two days each minute-ish (minute slots beside
  // quarter hours), and results still pending.
  await earn(ledger, now - 120 * DAY, 11 * HOUR + 17 * MINUTE, 254, 0);
  await earn(ledger, now - 2 * DAY - 3 * HOUR, 17 * MINUTE + 3_000, 180, 4);
  const before = Object.fromEntries(Object.entries(ranges(now)).map(([name, q]) => [name, ledger.sums.summary(q)]));
  assert.deepEqual(
    Object.values(before).map((s) => s.series.step),
    ['hour', 'day', 'day', 'month'],
  );
  assert.deepEqual(
    Object.values(before).map((s) => s.series.bars.length),
    [24, 7, 30, 5],
  );
  for (const [name, s] of Object.entries(before)) assert.deepEqual(sums(s).bars, sums(s).total, name);

  const reopen = async (): Promise<Ledger> => {
    const again = await Ledger.open(file);
    await again.verify(() => null, now);
    return again;
  };
  const check = (when: string): Record<string, EarningsSummary> => {
    const out = Object.fromEntries(Object.entries(ranges(now)).map(([name, q]) => [name, ledger.sums.summary(q)]));
    for (const [name, s] of Object.entries(out)) {
      assert.deepEqual(sums(s).bars, sums(s).total, `${name}, ${when}`);
      assert.equal(s.series.step, before[name]!.series.step, `${name}, ${when}`);
    }
    return out;
  };
  await ledger.saveCheckpoint(); // the index: minutes older than two days merged into quarter hours
  ledger = await reopen();
  check('index read back');
  await earn(ledger, now - 5 * MINUTE, 20_000, 10, 0);
  ledger = await reopen(); // the new epochs came after the index: no checkpoint before the stop
  const after = check('stopped without a checkpoint');
  await rm(`${file}.index`);
  ledger = await reopen();
  const recounted = check('recounted from the lines');
  for (const name of Object.keys(after))
    assert.equal(recounted[name]!.total.confirmedWei, after[name]!.total.confirmedWei, `${name}: the same confirmed sums`);
  const grew = (name: string) => BigInt(after[name]!.total.confirmedWei) - BigInt(before[name]!.total.confirmedWei);
  assert.ok(grew('day') > 0n && grew('day') === grew('all'), 'the new work is in the day and in all');
});
