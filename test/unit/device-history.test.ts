// The Devices page's hour of figures, kept in the agent: the monitor's samples averaged into one point per interval,
// tasks and operations counted from the scheduler's lanes, a bounded ring per device, served by getDeviceHistory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceHistorySchema, HISTORY_INTERVAL_MS, HISTORY_POINTS } from '../../main/common/device-history.js';
import type { Signals } from '../../main/common/policy.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { DeviceHistoryRecorder, type LaneCounts } from '../../main/core/monitor/device-history.js';
import { Monitor } from '../../main/core/monitor/monitor.js';
import { fakePorts } from '../helpers/fakes.js';

const T0 = Date.UTC(2026, 11, 7, 14);
const gpu = { id: 'GPU-1', name: 'RTX 2070', tempC: 61, utilizationPercent: 90, ourUtilizationPercent: 60, vramTotalMiB: 8192 };

const sample = (at: number, over: { cpu?: Partial<Signals['cpu']>; gpus?: Signals['gpus'] } = {}): Signals => ({
  at,
  utcOffsetMinutes: 0,
  idleSeconds: null,
  locked: null,
  power: { onBattery: false, batteryPercent: null, charging: null, batterySaver: false },
  cpu: { cores: 2, otherLoadPercent: 20, ourLoadPercent: 40, tempC: null, ...over.cpu },
  memory: { totalBytes: 8 * 1024 ** 3, availableBytes: 4 * 1024 ** 3 },
  gpus: over.gpus ?? [gpu],
  blockingApps: [],
  fullscreen: false,
  suspended: false,
});
const lanes = (cpu: number, gpuTasks: number): LaneCounts[] => [
  { id: 'cpu', finished: cpu, operations: cpu * 1e9 },
  { id: 'GPU-1', finished: gpuTasks, operations: gpuTasks * 4e9 },
];
const pointsOf = (history: DeviceHistoryRecorder, id: string) => history.view().devices.find((device) => device.deviceId === id)!.points;

test('samples within an interval make one point: means of what was reported, tasks and FLOP/s finished in it', { timeout: 10_000 }, () => {
  const history = new DeviceHistoryRecorder();
  history.record(sample(T0), lanes(0, 0));
  history.record(sample(T0 + 5_000, { cpu: { ourLoadPercent: 60, otherLoadPercent: null } }), lanes(2, 1));
  assert.equal(pointsOf(history, 'cpu').length, 0, 'the interval is not over yet');
  history.record(
    sample(T0 + 10_000, { cpu: { ourLoadPercent: 50 }, gpus: [{ ...gpu, tempC: 65, utilizationPercent: null }] }),
    lanes(5, 3),
  );
  assert.deepEqual(pointsOf(history, 'cpu'), [
    { at: T0 + 10_000, tasks: 5, flopsPerSecond: 5e8, oursPercent: 50, otherPercent: 20, tempC: null },
  ]);
  assert.deepEqual(pointsOf(history, 'GPU-1'), [
    // Use is split as the dashboard splits it: ours, and the driver's figure less ours (not reported in one sample).
    { at: T0 + 10_000, tasks: 3, flopsPerSecond: 1.2e9, oursPercent: 60, otherPercent: 30, tempC: (61 + 61 + 65) / 3 },
  ]);
  history.record(sample(T0 + 20_000, { cpu: { tempC: 70 } }), lanes(5, 3));
  assert.deepEqual(pointsOf(history, 'cpu').at(-1), {
    at: T0 + 20_000,
    tasks: 0,
    flopsPerSecond: 0,
    oursPercent: 40,
    otherPercent: 20,
    tempC: 70,
  });
  assert.ok(DeviceHistorySchema.safeParse(history.view()).success, 'what getDeviceHistory answers parses with its schema');
});

test('a new scheduler counts from 0 again: its tasks are counted, never a negative speed', { timeout: 10_000 }, () => {
  const history = new DeviceHistoryRecorder();
  history.record(sample(T0), lanes(40, 0));
  history.record(sample(T0 + 10_000), lanes(2, 0));
  assert.deepEqual(
    pointsOf(history, 'cpu').map((point) => [point.tasks, point.flopsPerSecond]),
    [[2, 2e8]],
  );
});

test('the ring holds an hour per device, the oldest point dropped first', { timeout: 10_000 }, () => {
  const history = new DeviceHistoryRecorder();
  for (let i = 0; i <= HISTORY_POINTS + 25; i++) history.record(sample(T0 + i * HISTORY_INTERVAL_MS), lanes(i, i));
  for (const id of ['cpu', 'GPU-1']) {
    const points = pointsOf(history, id);
    assert.equal(points.length, HISTORY_POINTS);
    assert.equal(points.at(-1)!.at - points[0]!.at, (HISTORY_POINTS - 1) * HISTORY_INTERVAL_MS, 'the last hour, no more');
    assert.equal(points.at(-1)!.at, T0 + (HISTORY_POINTS + 25) * HISTORY_INTERVAL_MS);
  }
});

test('the monitor hands each sample to the history with the lanes it read', { timeout: 10_000 }, async () => {
  const ports = fakePorts();
  const history = new DeviceHistoryRecorder(1000);
  let finished = 0;
  const monitor = new Monitor(
    ports,
    () => [],
    () => [{ id: 'cpu', pids: [], busyMs: 0, finished, operations: finished * 1e6 }],
    (signals, read) => history.record(signals, read),
  );
  await monitor.sample(DEFAULT_SETTINGS);
  finished = 4;
  ports.clock.advance(2000);
  await monitor.sample(DEFAULT_SETTINGS);
  assert.deepEqual(
    pointsOf(history, 'cpu').map((point) => [point.tasks, point.flopsPerSecond]),
    [[4, 2e6]],
  );
});
