import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceDecision, ReasonCode } from '../../main/common/policy.js';
import { estimateEarnings, MIN_MEASURED_MS, type EstimateInput } from '../../main/core/economics/prediction.js';
import { rewardWei } from '../../main/core/economics/rewards.js';
import { SharingTime, WINDOW_MS, type Stretch } from '../../main/core/economics/sharing-time.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const availabilityPerHour = BigInt(rewardWei('availability', BigInt(HOUR), 50, 0).totalWei);

type R = EstimateInput['receipts'][number];
/** A CPU task of `flops` that ran `durationMs` and was receipted at `at`. */
const task = (at: number, flops: bigint, durationMs = 4_000): R => ({
  resourceType: 'cpu',
  status: 'verified',
  units: flops.toString(),
  totalWei: rewardWei('cpu', flops, 50, 0).totalWei,
  durationMs,
  issuedAt: at,
});

/** Tasks every `everyMs` from `from` to `to`, each of `flops(i)`. */
function tasks(from: number, to: number, everyMs: number, flops: (i: number) => bigint): R[] {
  const out: R[] = [];
  for (let at = from + everyMs, i = 0; at <= to; at += everyMs, i++) out.push(task(at, flops(i), everyMs));
  return out;
}

const input = (receipts: R[], stretches: Stretch[], now: number, more: Partial<EstimateInput> = {}): EstimateInput => ({
  receipts,
  sharing: { stretches, share: 0.5 },
  pending: false,
  now,
  reputation: 50,
  uptimeBp: 0,
  hoursPerDay: 10,
  ...more,
});

const GFLOP5 = 5_000_000_000n;
/** 5 GFLOP every 5 s at the CPU rate (10 wei/FLOP): 3.6·10^13 FLOP, 0.00036 SYNOR an hour. */
const STEADY_WEI_PER_HOUR = 720n * BigInt(rewardWei('cpu', GFLOP5, 50, 0).totalWei);

test('no figure before enough work is measured, and how far it got', { timeout: 10_000 }, () => {
  const now = T0 + 60_000;
  const early = estimateEarnings(
    input(
      tasks(T0, now, 5_000, () => GFLOP5),
      [{ from: T0, to: now, running: true }],
      now,
    ),
  );
  assert.equal(early.confidence, 'measuring');
  assert.equal(early.perHourWei, null);
  assert.equal(early.perMonthWei, null);
  assert.equal(early.measuredMs, 60_000);
  assert.equal(early.neededMs, MIN_MEASURED_MS);
  // Sharing time without tasks is no measure either (the network had no work, or the first lease is under way).
  const idle = estimateEarnings(input([], [{ from: T0, to: T0 + 10 * 60_000, running: true }], T0 + 10 * 60_000));
  assert.equal(idle.perHourWei, null);
});

test('a steady rate: the paid work over the sharing time, plus an hour online, and a month of it', { timeout: 10_000 }, () => {
  const now = T0 + 10 * 60_000;
  const e = estimateEarnings(
    input(
      tasks(T0, now, 5_000, () => GFLOP5),
      [{ from: T0, to: now, running: true }],
      now,
    ),
  );
  assert.equal(e.confidence, 'steady');
  assert.equal(BigInt(e.perHourWei!.mid), STEADY_WEI_PER_HOUR + availabilityPerHour);
  assert.equal(e.perHourWei!.low, e.perHourWei!.mid, 'pieces that agree exactly leave no doubt');
  assert.equal(BigInt(e.perMonthWei!.mid), (BigInt(e.perHourWei!.mid) * 10n * 30n * 1000n) / 1000n, '10 h a day, 30 days');
  assert.equal(e.flopsPerHour, String(720n * GFLOP5));
  assert.equal(e.busyPercent, 0);
  assert.equal(e.sharePercent, 50);
});

test('gaps between tasks count: the same tasks further apart earn less per hour', { timeout: 10_000 }, () => {
  const now = T0 + 10 * 60_000;
  const sharing = [{ from: T0, to: now, running: true }];
  const close = estimateEarnings(
    input(
      tasks(T0, now, 5_000, () => GFLOP5),
      sharing,
      now,
    ),
  );
  const apart = estimateEarnings(
    input(
      tasks(T0, now, 10_000, () => GFLOP5),
      sharing,
      now,
    ),
  );
  assert.equal(BigInt(apart.perHourWei!.mid) - availabilityPerHour, (BigInt(close.perHourWei!.mid) - availabilityPerHour) / 2n);
});

test('the range narrows as more work is measured', { timeout: 10_000 }, () => {
  // Tasks of uneven size (4 and 6 GFLOP by turns, in pieces that do not line up with them): the mean is known better
  // the more of them there are.
  const uneven = (i: number): bigint => (i % 7 < 3 ? 4_000_000_000n : 6_000_000_000n);
  const widths = [3, 10, 30].map((minutes) => {
    const now = T0 + minutes * 60_000;
    const e = estimateEarnings(input(tasks(T0, now, 3_000, uneven), [{ from: T0, to: now, running: true }], now));
    assert.ok(e.perHourWei, `a figure after ${minutes} min`);
    return Number(BigInt(e.perHourWei.high) - BigInt(e.perHourWei.low)) / Number(BigInt(e.perHourWei.mid));
  });
  assert.ok(widths[0]! > widths[1]! && widths[1]! > widths[2]!, `range narrows: ${widths.join(' > ')}`);
  assert.ok(widths[0]! > 0, 'uneven pieces leave some doubt');
});

test('a busy machine: time held back for the user’s programs counts, and is said', { timeout: 10_000 }, () => {
  // Ten minutes: running for one, paused for the user's programs the next, and so on; tasks only while running.
  const stretches: Stretch[] = [];
  const receipts: R[] = [];
  for (let m = 0; m < 10; m++) {
    const from = T0 + m * 60_000;
    stretches.push({ from, to: from + 60_000, running: m % 2 === 0 });
    if (m % 2 === 0) receipts.push(...tasks(from, from + 60_000, 5_000, () => GFLOP5));
  }
  const now = T0 + 10 * 60_000;
  const busy = estimateEarnings(input(receipts, stretches, now));
  assert.equal(busy.busyPercent, 50);
  assert.ok(busy.perHourWei && busy.confidence !== 'measuring');
  assert.equal(BigInt(busy.perHourWei.mid) - availabilityPerHour, STEADY_WEI_PER_HOUR / 2n, 'half the time working: half the pay per hour');
  assert.ok(BigInt(busy.perHourWei.high) > BigInt(busy.perHourWei.low), 'minutes on and off make pieces that disagree');
});

test('while results wait for their receipt, the measure ends at the newest receipt, not now', { timeout: 10_000 }, () => {
  const lastReceipt = T0 + 8 * 60_000;
  const now = lastReceipt + 60_000; // an epoch of work done, its receipts not in yet
  const sharing = [{ from: T0, to: now, running: true }];
  const waiting = estimateEarnings(
    input(
      tasks(T0, lastReceipt, 5_000, () => GFLOP5),
      sharing,
      now,
      { pending: true },
    ),
  );
  assert.equal(BigInt(waiting.perHourWei!.mid) - availabilityPerHour, STEADY_WEI_PER_HOUR);
  // With nothing waiting, the time since the newest receipt earned nothing (sharing went on with no work).
  const none = estimateEarnings(
    input(
      tasks(T0, lastReceipt, 5_000, () => GFLOP5),
      sharing,
      now,
    ),
  );
  assert.ok(BigInt(none.perHourWei!.mid) - availabilityPerHour < STEADY_WEI_PER_HOUR);
});

test('the first lease is a start’s cost, not an hour’s: the measure begins with the first task', { timeout: 10_000 }, () => {
  const firstTaskAt = T0 + 30_000;
  const now = firstTaskAt + 5 * 60_000;
  const e = estimateEarnings(
    input(
      tasks(firstTaskAt, now, 5_000, () => GFLOP5),
      [{ from: T0, to: now, running: true }],
      now,
    ),
  );
  assert.equal(e.measuredMs, 5 * 60_000);
  assert.equal(BigInt(e.perHourWei!.mid) - availabilityPerHour, STEADY_WEI_PER_HOUR);
});

const decision = (run: boolean, ...codes: ReasonCode[]): DeviceDecision => ({
  deviceId: 'cpu',
  kind: 'cpu',
  run,
  limits: { threads: 1, dutyCycle: 1, memoryBudgetBytes: 0, vramBudgetMiB: null, priority: 'idle' },
  reasons: codes.map((code) => ({ code, message: code, blocking: true })),
});

test('sharing time: running and waiting for the machine’s load count; off, schedule and pauses do not', { timeout: 10_000 }, () => {
  const time = new SharingTime();
  time.note(T0, decision(true), 0.5);
  time.note(T0 + 1_000, decision(true), 0.5);
  time.note(T0 + 2_000, decision(false, 'USER_BUSY'), 0.5);
  time.note(T0 + 3_000, decision(false, 'SHARING_OFF'), 0.5);
  time.note(T0 + 4_000, decision(false, 'OUTSIDE_SCHEDULE', 'USER_BUSY'), 0.5);
  time.note(T0 + 5_000, decision(false, 'CPU_HOT'), 0.5);
  time.note(T0 + 6_000, undefined, 0.5);
  assert.deepEqual(time.window(), {
    share: 0.5,
    stretches: [
      { from: T0, to: T0 + 2_000, running: true },
      { from: T0 + 2_000, to: T0 + 3_000, running: false },
      { from: T0 + 5_000, to: T0 + 6_000, running: false },
    ],
  });
  // Another share starts the measure again; time older than the window falls out of it.
  time.note(T0 + 7_000, decision(true), 0.25);
  time.note(T0 + 8_000, decision(true), 0.25);
  assert.deepEqual(time.window(), { share: 0.25, stretches: [{ from: T0 + 7_000, to: T0 + 8_000, running: true }] });
  time.note(T0 + 8_000 + WINDOW_MS, decision(true), 0.25);
  assert.deepEqual(time.window().stretches, [{ from: T0 + 8_000, to: T0 + 8_000 + WINDOW_MS, running: true }]);
});
