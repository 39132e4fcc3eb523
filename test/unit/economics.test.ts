import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceType } from '../../main/common/protocol.js';
import { compareWithActual, estimateMonthly, hourlyUsd, projectMonthly, scheduledHoursPerDay, typicalPowerWatts } from '../../main/core/economics/estimator.js';
import {
  BASE_RATES,
  calculateReward,
  computeWork,
  formatSynor,
  reputationMultiplier,
  rewardWei,
  toWei,
  uptimeMultiplier,
} from '../../main/core/economics/rewards.js';

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${a} ≈ ${b}`);

test('the seed’s base rates', () => {
  assert.deepEqual(BASE_RATES, { gpuTflops: 0.000001, cpuGflops: 0.00000001, bandwidthGb: 0.001, availabilityHour: 0.0001 });
  close(calculateReward({ resourceType: 'gpu', work: 1000, reputation: 50, uptimePercent: 0 }).base, 0.001);
  close(calculateReward({ resourceType: 'cpu', work: 1e6, reputation: 50, uptimePercent: 0 }).base, 0.01);
  close(calculateReward({ resourceType: 'bandwidth', work: 2, reputation: 50, uptimePercent: 0 }).base, 0.002);
  close(calculateReward({ resourceType: 'availability', work: 10, reputation: 50, uptimePercent: 0 }).base, 0.001);
  assert.equal(computeWork('cpu', 5e9), 5);
  assert.equal(computeWork('gpu', 5e12), 5);
});

test('reputation multiplies 0.5× to 2× (1× for a new device at 50); uptime adds up to 20 %', () => {
  assert.deepEqual([0, 25, 50, 75, 100, -5, 500].map(reputationMultiplier), [0.5, 0.75, 1, 1.5, 2, 0.5, 2]);
  assert.deepEqual([0, 50, 100, 150].map(uptimeMultiplier), [1, 1.1, 1.2, 1.2]);
});

test('the split follows the seed: bonuses relative to base, total = base × reputation × uptime', () => {
  const r = calculateReward({ resourceType: 'cpu', work: 1e6, reputation: 100, uptimePercent: 100 });
  close(r.base, 0.01);
  close(r.reputationBonus, 0.01);
  close(r.uptimeBonus, 0.002);
  close(r.total, 0.024);
  const low = calculateReward({ resourceType: 'cpu', work: 1e6, reputation: 0, uptimePercent: 0 });
  close(low.reputationBonus, -0.005);
  close(low.total, 0.005);
});

test('wei amounts are exact and the same on both ends', () => {
  assert.equal(toWei(0.0015), 1_500_000_000_000_000n);
  assert.equal(formatSynor(1_500_000_000_000_000n), '0.0015');
  assert.equal(formatSynor(-5n), '-0.000000000000000005');
  assert.equal(formatSynor(3n * 10n ** 18n), '3');
  assert.deepEqual(rewardWei('cpu', 10n ** 15n, 50, 0), { baseWei: '10000000000000000', reputationBonusWei: '0', uptimeBonusWei: '0', totalWei: '10000000000000000' });
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
test('EarningsEstimator: hourly by device type; monthly low/medium/high at 50/70/100 % utilization', () => {
  for (const [device, hourly] of types) assert.equal(hourlyUsd(device), hourly, device.kind);
  const m = estimateMonthly(types[0]![0], 24);
  close(m.high, 360);
  close(m.medium, 252);
  close(m.low, 180);
});

test('the projection uses the schedule, idle history and share, and subtracts electricity', () => {
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
  assert.match(p.assumptions.join('\n'), /free 80 %/);
  const noHistory = projectMonthly({ device: types[3]![0], scheduledHoursPerDay: 24, availableFraction: null, sharePercent: 100, powerWatts: 0, tariffPerKwh: 0 });
  assert.equal(noHistory.hoursPerDay, 12);
  assert.match(noHistory.assumptions.join('\n'), /no idle history yet/);
});

test('actual vs projected: side by side, with the reasons they differ', () => {
  const projection = projectMonthly({ device: types[3]![0], scheduledHoursPerDay: 24, availableFraction: 1, sharePercent: 100, powerWatts: 0, tariffPerKwh: 0 });
  const c = compareWithActual({ projection, days: 1, earnedSynor: 0.001, usdPerSynor: null, onlineHours: 6, noWorkHours: 2, devnet: true });
  close(c.projectedUsd, 0.24 * 0.7);
  assert.equal(c.earnedUsd, null);
  assert.match(c.reasons.join('\n'), /test tokens/);
  assert.match(c.reasons.join('\n'), /online 6\.0 h of the 24\.0 h/);
  assert.match(c.reasons.join('\n'), /no work for this device for 2\.0 h/);
  const priced = compareWithActual({ projection, days: 1, earnedSynor: 2, usdPerSynor: 0.05, onlineHours: 24, noWorkHours: 0, devnet: false });
  assert.equal(priced.earnedUsd, 0.1);
});

test('a typical power draw per device type when none is measured', () => {
  assert.equal(typicalPowerWatts(types[1]![0]), 220);
  assert.equal(typicalPowerWatts(types[3]![0]), 96, '6 W × 16 threads');
  assert.equal(typicalPowerWatts({ kind: 'cpu', vendor: 'x', cores: 64, threads: 128, avx: 'avx512' }), 150, 'capped');
});
