import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceType } from '../../main/common/protocol.js';
import {
  availableFractionFrom,
  compareWithActual,
  estimateMonthly,
  hourlyUsd,
  projectMonthly,
  scheduledHoursPerDay,
  typicalPowerWatts,
} from '../../main/core/economics/estimator.js';
import { rewardWei } from '../../main/core/economics/rewards.js';
import { RECEIPT_VECTORS } from '../helpers/receipt-vectors.js';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} ≈ ${b}`);

test('rewards follow every conformance vector to the wei, and the split adds up to the total', { timeout: 120_000 }, () => {
  assert.ok(RECEIPT_VECTORS.length >= 30);
  for (const v of RECEIPT_VECTORS) {
    const got = rewardWei(v.resourceType, BigInt(v.units), v.reputation, v.uptimeBp);
    assert.deepEqual(
      got,
      { baseWei: v.baseWei, reputationBonusWei: v.reputationBonusWei, uptimeBonusWei: v.uptimeBonusWei, totalWei: v.totalWei },
      v.name,
    );
    assert.equal(BigInt(got.baseWei) + BigInt(got.reputationBonusWei) + BigInt(got.uptimeBonusWei), BigInt(got.totalWei), v.name);
  }
  assert.ok(
    RECEIPT_VECTORS.some((v) => v.reputationBonusWei.startsWith('-')),
    'a negative bonus is covered',
  );
});

test('the seed’s anchor: a CPU core busy at 100 GFLOPS for an hour earns 0.0036 SYNOR before bonuses', { timeout: 120_000 }, () => {
  assert.equal(rewardWei('cpu', 100n * 10n ** 9n * 3600n, 50, 0).totalWei, String(36n * 10n ** 14n));
  assert.equal(rewardWei('availability', 3_600_000n, 50, 0).totalWei, String(10n ** 14n));
  assert.throws(() => rewardWei('cpu', -1n, 50, 0), RangeError);
});

const types: [DeviceType, number][] = [
  [{ kind: 'data-center-gpu', model: 'H100', vramGb: 80, tensorCores: 528 }, 0.5],
  [{ kind: 'consumer-gpu', model: 'RTX 4090', vramGb: 24 }, 0.1],
  [{ kind: 'apple-silicon', chip: 'M2', gpuCores: 10, neuralEngineCores: 16, unifiedMemoryGb: 16 }, 0.05],
  [{ kind: 'cpu', vendor: 'AMD', cores: 8, threads: 16, avx: 'avx2' }, 0.01],
  [{ kind: 'mobile', platform: 'android', chip: 'Tensor G3', gpu: 'Mali' }, 0.005],
  [{ kind: 'browser', runtime: 'chrome', gpuAvailable: true, wasmSimd: true }, 0.002],
  [{ kind: 'tpu', version: 'v4', chips: 4 }, 0.01],
];
test('EarningsEstimator: hourly by device type; monthly low/medium/high at 50/70/100 % utilization', { timeout: 120_000 }, () => {
  for (const [device, hourly] of types) assert.equal(hourlyUsd(device), hourly, device.kind);
  const m = estimateMonthly(types[0]![0], 24);
  close(m.high, 360);
  close(m.medium, 252);
  close(m.low, 180);
});

test(
  "availability from the device's own history: online hours over the scheduled hours since its first, once a day long",
  { timeout: 120_000 },
  () => {
    assert.equal(availableFractionFrom(3, 24, 12), null, 'half a day says too little');
    assert.equal(availableFractionFrom(36, 24, 72), 0.5, 'online 36 h of 3 days all offered');
    assert.equal(availableFractionFrom(30, 10, 168), 3 / 7, '30 h of a week of 10-hour days');
    assert.equal(availableFractionFrom(200, 8, 168), 1, 'never more than all of it');
    assert.equal(availableFractionFrom(5, 0, 168), null, 'nothing offered: nothing to share of');
  },
);

test('the projection uses the schedule, idle history and share, and subtracts electricity', { timeout: 120_000 }, () => {
  const week = Array.from({ length: 7 }, (_, d) => Array.from({ length: 24 }, (_, h) => d > 0 && d < 6 && h >= 9 && h < 17));
  assert.equal(scheduledHoursPerDay(week), (5 * 8) / 7);
  assert.equal(scheduledHoursPerDay(null), 24);
  const p = projectMonthly({
    device: types[1]![0],
    scheduledHoursPerDay: 10,
    availableFraction: 0.8,
    sharePercent: 50,
    powerWatts: 300,
    tariffPerKwh: 0.3,
  });
  assert.equal(p.hoursPerDay, 8);
  close(p.gross.high, 0.1 * 0.5 * 8 * 30); // $12
  close(p.electricity.high, 0.15 * 0.3 * 8 * 30); // 0.15 kWh/h × $0.30 × 240 h = $10.80
  close(p.net.medium, 0.7 * (12 - 10.8));
  assert.match(p.assumptions.join('\n'), /online 80 % of that time over the last week/);
  // The figure shown can be worked out again from the numbers the page lists (issue 16: it could not be).
  const sum = p.assumptions.at(-1)!;
  const [rate, share, hours, use, days, gross, watts, , usedHours, tariff, electricity, net] = [...sum.matchAll(/\d+(\.\d+)?/g)]
    .map((m) => Number(m[0]))
    .slice(1);
  close(rate! * (share! / 100) * hours! * use! * days!, gross!);
  close(usedHours!, hours! * use! * days!);
  close(((watts! * share!) / 100 / 1000) * usedHours! * tariff!, electricity!);
  close(gross! - electricity!, net!);
  close(net!, p.net.medium);
  const noHistory = projectMonthly({
    device: types[3]![0],
    scheduledHoursPerDay: 24,
    availableFraction: null,
    sharePercent: 100,
    powerWatts: 0,
    tariffPerKwh: 0,
  });
  assert.equal(noHistory.hoursPerDay, 12);
  assert.match(noHistory.assumptions.join('\n'), /less than a day of history yet/);
});

test('actual vs projected: side by side, with the reasons they differ', { timeout: 120_000 }, () => {
  const projection = projectMonthly({
    device: types[3]![0],
    scheduledHoursPerDay: 24,
    availableFraction: 1,
    sharePercent: 100,
    powerWatts: 0,
    tariffPerKwh: 0,
  });
  const c = compareWithActual({ projection, days: 1, earnedSynor: 0.001, usdPerSynor: null, onlineHours: 6, noWorkHours: 2, devnet: true });
  close(c.projectedUsd, 0.24 * 0.7);
  assert.equal(c.earnedUsd, null);
  assert.match(c.reasons.join('\n'), /test tokens/);
  assert.match(c.reasons.join('\n'), /online 6\.0 h of the 24\.0 h/);
  assert.match(c.reasons.join('\n'), /no work for this device for 2\.0 h/);
  const priced = compareWithActual({
    projection,
    days: 1,
    earnedSynor: 2,
    usdPerSynor: 0.05,
    onlineHours: 24,
    noWorkHours: 0,
    devnet: false,
  });
  assert.equal(priced.earnedUsd, 0.1);
});

test('a typical power draw per device type when none is measured', { timeout: 120_000 }, () => {
  assert.equal(typicalPowerWatts(types[1]![0]), 220);
  assert.equal(typicalPowerWatts(types[3]![0]), 96, '6 W × 16 threads');
  assert.equal(typicalPowerWatts({ kind: 'cpu', vendor: 'x', cores: 64, threads: 128, avx: 'avx512' }), 150, 'capped');
});
