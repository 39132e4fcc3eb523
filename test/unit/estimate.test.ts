import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceDecision, ReasonCode } from '../../main/common/policy.js';
import type { Epoch } from '../../main/common/protocol.js';
import { EarningsMeter, WINDOW_MS, type PaidEpoch, type Stretch } from '../../main/core/economics/meter.js';
import { estimateEarnings, MIN_MEASURED_MS, type EstimateInput } from '../../main/core/economics/prediction.js';
import { rewardWei } from '../../main/core/economics/rewards.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const availabilityPerHour = BigInt(rewardWei('availability', BigInt(HOUR), 50, 0).totalWei);

/** 5 GFLOP every 5 s at the CPU rate (10 wei/FLOP): 3.6·10^13 FLOP, 0.00036 SYNOR an hour. */
const GFLOP5 = 5_000_000_000n;
const TASK_WEI = BigInt(rewardWei('cpu', GFLOP5, 50, 0).totalWei);
const STEADY_WEI_PER_HOUR = 720n * TASK_WEI;

/** An epoch a minute from `from` to `to`, each paying `tasks(i)` tasks of 5 GFLOP. */
function epochs(from: number, to: number, tasks: (i: number) => number = () => 12, everyMs = MINUTE): PaidEpoch[] {
  const out: PaidEpoch[] = [];
  for (let at = from + everyMs, i = 0; at <= to; at += everyMs, i++) {
    const n = tasks(i);
    out.push({ closedAt: at, wei: BigInt(n) * TASK_WEI, flops: BigInt(n) * GFLOP5, tasks: n });
  }
  return out;
}

const input = (paid: PaidEpoch[], stretches: Stretch[], now: number): EstimateInput => ({
  meter: { stretches, paid, share: 0.5 },
  now,
  reputation: 50,
  uptimeBp: 0,
  hoursPerDay: 10,
});
const sharing = (from: number, to: number): Stretch[] => [{ from, to, running: true }];
const work = (e: ReturnType<typeof estimateEarnings>): bigint => BigInt(e.perHourWei!.mid) - availabilityPerHour;

test('no figure before enough work is measured, and how far it got', { timeout: 10_000 }, () => {
  const now = T0 + 2 * MINUTE;
  const early = estimateEarnings(input(epochs(T0, now), sharing(T0, now), now));
  assert.equal(early.confidence, 'measuring');
  assert.equal(early.perHourWei, null);
  assert.equal(early.perMonthWei, null);
  assert.equal(early.measuredMs, MINUTE, 'the first epoch only opens the measure');
  assert.equal(early.neededMs, MIN_MEASURED_MS);
  // Sharing time without paid work is no measure either (the first lease is under way, say).
  const idle = estimateEarnings(input([], sharing(T0, T0 + 10 * MINUTE), T0 + 10 * MINUTE));
  assert.equal(idle.perHourWei, null);
  assert.equal(idle.measuredMs, 0);
});

test('a steady rate: the paid work over the sharing time, plus an hour online, and a month of it', { timeout: 10_000 }, () => {
  const now = T0 + 10 * MINUTE;
  const e = estimateEarnings(input(epochs(T0, now), sharing(T0, now), now));
  assert.equal(e.confidence, 'steady');
  assert.equal(work(e), STEADY_WEI_PER_HOUR);
  assert.equal(e.perHourWei!.low, e.perHourWei!.mid, 'pieces that agree exactly leave no doubt');
  assert.equal(BigInt(e.perMonthWei!.mid), BigInt(e.perHourWei!.mid) * 10n * 30n, '10 h a day, 30 days');
  assert.equal(e.flopsPerHour, String(720n * GFLOP5));
  assert.equal(e.busyPercent, 0);
  assert.equal(e.sharePercent, 50);
});

test('gaps between tasks count: the same tasks further apart earn less per hour', { timeout: 10_000 }, () => {
  const now = T0 + 10 * MINUTE;
  const close = estimateEarnings(
    input(
      epochs(T0, now, () => 12),
      sharing(T0, now),
      now,
    ),
  );
  const apart = estimateEarnings(
    input(
      epochs(T0, now, () => 6),
      sharing(T0, now),
      now,
    ),
  );
  assert.equal(work(apart), work(close) / 2n);
});

test('the range narrows as more work is measured', { timeout: 10_000 }, () => {
  // Epochs of uneven pay (9 to 15 tasks a minute): the mean is known better the more of them there are.
  const uneven = (i: number): number => 9 + ((i * 5) % 7);
  const widths = [5, 10, 29].map((minutes) => {
    const now = T0 + minutes * MINUTE;
    const e = estimateEarnings(input(epochs(T0, now, uneven), sharing(T0, now), now));
    assert.ok(e.perHourWei, `a figure after ${minutes} min`);
    return Number(BigInt(e.perHourWei.high) - BigInt(e.perHourWei.low)) / Number(BigInt(e.perHourWei.mid));
  });
  assert.ok(widths[0]! > widths[1]! && widths[1]! > widths[2]!, `range narrows: ${widths.join(' > ')}`);
  assert.ok(widths[0]! > 0, 'uneven pieces leave some doubt');
});

test('a rate still moving is said to be a range, wide enough to reach where it is going', { timeout: 10_000 }, () => {
  // Ten epochs whose pay rises steadily from 10 to 19 tasks a minute (checks on a new device's results falling, say).
  const now = T0 + 11 * MINUTE;
  const e = estimateEarnings(
    input(
      epochs(T0, now, (i) => 9 + i),
      sharing(T0, now),
      now,
    ),
  );
  assert.equal(e.confidence, 'range');
  // The pieces are the epochs after the first (10 to 19 tasks); the newer half of them, 15 to 19, is what counts.
  assert.equal(work(e), 60n * 17n * TASK_WEI, 'the figure follows the newest work');
  assert.ok(BigInt(e.perHourWei!.high) - availabilityPerHour >= 60n * 19n * TASK_WEI, 'the newest epochs fall inside the range');
  // The same pay in a shuffled order: no drift, and the figure is the mean of all of it.
  const shuffled = estimateEarnings(
    input(
      epochs(T0, now, (i) => 10 + ((i * 3) % 10)),
      sharing(T0, now),
      now,
    ),
  );
  assert.equal(work(shuffled), (60n * 145n * TASK_WEI) / 10n);
  assert.ok(BigInt(shuffled.perHourWei!.high) < BigInt(e.perHourWei!.high));
});

test('a busy machine: time held back for the user’s programs counts, and is said', { timeout: 10_000 }, () => {
  // Eleven minutes: running for one, paused for the user's programs the next, and so on; only the running minutes pay.
  const stretches: Stretch[] = [];
  for (let m = 0; m < 11; m++) stretches.push({ from: T0 + m * MINUTE, to: T0 + (m + 1) * MINUTE, running: m % 2 === 0 });
  const now = T0 + 11 * MINUTE;
  const paid = epochs(T0, now, (i) => (i % 2 === 0 ? 12 : 0));
  const busy = estimateEarnings(input(paid, stretches, now));
  assert.equal(busy.busyPercent, 50);
  assert.ok(busy.perHourWei && busy.confidence !== 'measuring');
  assert.equal(work(busy), STEADY_WEI_PER_HOUR / 2n, 'half the time working: half the pay per hour');
  assert.ok(BigInt(busy.perHourWei.high) > BigInt(busy.perHourWei.low), 'minutes on and off make pieces that disagree');
  // The same work done beside a busy machine at half speed, never paused: the same figure, nothing waited for.
  const slow = estimateEarnings(
    input(
      epochs(T0, now, () => 6),
      sharing(T0, now),
      now,
    ),
  );
  assert.equal(work(slow), work(busy));
  assert.equal(slow.busyPercent, 0);
});

test('time sharing was off is left out; time with no paid work for long is in', { timeout: 10_000 }, () => {
  // Sharing 0–5 min and 15–20 min, epochs only then: the 10 minutes off are not an hour's cost.
  const now = T0 + 20 * MINUTE;
  const stretches = [...sharing(T0, T0 + 5 * MINUTE), ...sharing(T0 + 15 * MINUTE, now)];
  const paid = [...epochs(T0, T0 + 5 * MINUTE), ...epochs(T0 + 15 * MINUTE, now)];
  assert.equal(work(estimateEarnings(input(paid, stretches, now))), STEADY_WEI_PER_HOUR);
  // Sharing on all along, but no epoch for the last 5 minutes (the network had no work): they earned nothing.
  const late = T0 + 10 * MINUTE;
  const dry = estimateEarnings(input(epochs(T0, T0 + 5 * MINUTE), sharing(T0, late), late));
  assert.equal(dry.measuredMs, 9 * MINUTE);
  assert.equal(work(dry), (STEADY_WEI_PER_HOUR * 4n) / 9n);
});

const epoch = (closedAt: number, ...sums: [Epoch['sums'][number]['resourceType'], string, string, number][]): Epoch => ({
  deviceId: 'dev-a',
  owner: '0x0000000000000000000000000000000000000001',
  firstSeq: 1,
  lastSeq: 1,
  root: `0x${'0'.repeat(64)}`,
  openedAt: closedAt,
  closedAt,
  sums: sums.map(([resourceType, units, totalWei, receipts]) => ({ resourceType, units, totalWei, receipts, rejected: 0 })),
  totalWei: '0',
  issuedAt: closedAt,
});

test('the meter counts what epochs paid for work, not availability, and forgets what left the window', { timeout: 10_000 }, () => {
  const meter = new EarningsMeter();
  meter.paid(epoch(T0, ['cpu', '100', '1000', 4], ['bandwidth', '7', '7000000', 1], ['availability', '600000', '999', 1]));
  assert.deepEqual(meter.window().paid, [{ closedAt: T0, wei: 7_001_000n, flops: 100n, tasks: 4 }]);
  meter.decided(T0 + WINDOW_MS + 1, undefined, 0.5);
  assert.deepEqual(meter.window().paid, []);
});

const decision = (run: boolean, ...codes: ReasonCode[]): DeviceDecision => ({
  deviceId: 'cpu',
  kind: 'cpu',
  run,
  limits: { threads: 1, dutyCycle: 1, memoryBudgetBytes: 0, vramBudgetMiB: null, priority: 'idle' },
  reasons: codes.map((code) => ({ code, message: code, blocking: true })),
});

test('sharing time: running and waiting for the machine’s load count; off, schedule and pauses do not', { timeout: 10_000 }, () => {
  const time = new EarningsMeter();
  time.decided(T0, decision(true), 0.5);
  time.decided(T0 + 1_000, decision(true), 0.5);
  time.decided(T0 + 2_000, decision(false, 'USER_BUSY'), 0.5);
  time.decided(T0 + 3_000, decision(false, 'SHARING_OFF'), 0.5);
  time.decided(T0 + 4_000, decision(false, 'OUTSIDE_SCHEDULE', 'USER_BUSY'), 0.5);
  time.decided(T0 + 5_000, decision(false, 'CPU_HOT'), 0.5);
  time.decided(T0 + 6_000, undefined, 0.5);
  assert.deepEqual(time.window(), {
    share: 0.5,
    paid: [],
    stretches: [
      { from: T0, to: T0 + 2_000, running: true },
      { from: T0 + 2_000, to: T0 + 3_000, running: false },
      { from: T0 + 5_000, to: T0 + 6_000, running: false },
    ],
  });
  // Another share starts the measure again; time older than the window falls out of it.
  time.decided(T0 + 7_000, decision(true), 0.25);
  time.decided(T0 + 8_000, decision(true), 0.25);
  assert.deepEqual(time.window().stretches, [{ from: T0 + 7_000, to: T0 + 8_000, running: true }]);
  assert.equal(time.window().share, 0.25);
  time.decided(T0 + 8_000 + WINDOW_MS, decision(true), 0.25);
  assert.deepEqual(time.window().stretches, [{ from: T0 + 8_000, to: T0 + 8_000 + WINDOW_MS, running: true }]);
});
