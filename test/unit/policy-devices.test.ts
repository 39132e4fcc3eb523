// Per-device control (issue 28, item 6): a device the user turns off gets no work while the others keep theirs, and
// its own share changes its own limits only. The machine is a real capture: two GeForce RTX 2070 from nvidia-smi
// (test/fixtures/hardware/ORIGINS.md, dual-2070-590), the first (bus 01:00.0) taken as the one driving the display,
// and a processor.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { HardwareReportSchema, type Device, type Gpu } from '../../main/common/hardware.js';
import type { Decision, Signals } from '../../main/common/policy.js';
import { DEFAULT_SETTINGS, type Settings } from '../../main/common/settings.js';
import { classify } from '../../main/core/hardware/classify.js';
import { parseNvidiaSmiXml } from '../../main/core/hardware/nvidia-smi.js';
import { decide, summarize } from '../../main/core/policy/decide.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';

const NOW = Date.UTC(2026, 11, 7, 14);
const absent = { status: 'absent', error: null, driverVersion: null, runtimeVersion: null, gpus: [] } as const;

/** The captured GPUs, classified as the hardware service does, and the readings the monitor would send for them. */
async function machine(): Promise<{ gpus: Gpu[]; devices: Device[]; signals: Signals }> {
  const log = parseNvidiaSmiXml(await readFile(join(FIXTURES, 'nvidia-smi', 'dual-2070-590', 'q-x.stdout'), 'utf8'));
  const report = HardwareReportSchema.parse({
    cpu: { vendor: 'intel', model: 'Intel Core i7-8700K', arch: 'x64', cores: 6, threads: 12, features: ['avx2', 'fma'] },
    memoryBytes: 32 * 1024 ** 3,
    vendors: {
      nvidia: { ...absent, status: 'found', driverVersion: log.driverVersion, gpus: log.gpus },
      amd: absent,
      intel: absent,
      apple: absent,
    },
  });
  const devices = classify(report, null);
  const signals: Signals = {
    at: NOW,
    utcOffsetMinutes: 0,
    idleSeconds: null,
    locked: null,
    power: { onBattery: false, batteryPercent: null, charging: null, batterySaver: false },
    cpu: { cores: 12, otherLoadPercent: 10, ourLoadPercent: 0, tempC: null },
    memory: { totalBytes: report.memoryBytes, availableBytes: 16 * 1024 ** 3 },
    gpus: log.gpus.map((gpu) => {
      const device = devices.find((d) => d.name === gpu.name && d.id === gpu.uuid)!;
      return {
        id: device.id,
        name: device.name,
        tempC: gpu.temperatureC,
        utilizationPercent: gpu.utilizationPercent,
        ourUtilizationPercent: null,
        vramTotalMiB: device.capabilities.memoryGb * 1024,
      };
    }),
    blockingApps: [],
    fullscreen: false,
    suspended: false,
  };
  return { gpus: log.gpus, devices, signals };
}

const sharing: Settings = { ...DEFAULT_SETTINGS, sharing: true };
const byId = (decision: Decision) => new Map(decision.devices.map((device) => [device.deviceId, device]));

test('the capture is two GPUs and a processor, each decided for under its own id, all working', { timeout: 60_000 }, async () => {
  const { gpus, devices, signals } = await machine();
  assert.deepEqual(
    gpus.map((gpu) => [gpu.pciBusId, gpu.uuid]),
    [
      ['0000:01:00.0', 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab'],
      ['0000:02:00.0', 'GPU-12345678-aaaa-bbbb-cccc-0123456789cd'],
    ],
  );
  const decision = decide(signals, sharing, NOW);
  assert.deepEqual(decision.devices.map((device) => device.deviceId).sort(), devices.map((device) => device.id).sort());
  assert.ok(decision.devices.every((device) => device.run));
  assert.equal(summarize(decision, true).reason, 'Working: running tasks on your CPU and GPU.', 'each kind named once');
});

test(
  'pausing the display GPU keeps the other GPU and the processor working, with their limits unchanged',
  { timeout: 60_000 },
  async () => {
    const { signals } = await machine();
    const [display, other] = signals.gpus.map((gpu) => gpu.id) as [string, string];
    const before = byId(decide(signals, sharing, NOW));
    const paused = byId(decide(signals, { ...sharing, gpus: { [display]: { ...DEFAULT_SETTINGS.gpuDefaults, enabled: false } } }, NOW));
    const pausedGpu = paused.get(display)!;
    assert.equal(pausedGpu.run, false);
    assert.deepEqual(
      pausedGpu.reasons.map((reason) => [reason.code, reason.message, reason.blocking]),
      [['DEVICE_DISABLED', 'You turned sharing off for NVIDIA GeForce RTX 2070.', true]],
    );
    for (const id of [other, 'cpu']) {
      assert.equal(paused.get(id)!.run, true, `${id} keeps working`);
      assert.deepEqual(paused.get(id), before.get(id), `${id}: same limits, no reasons`);
    }
  },
);

test('a GPU share changes that GPU limits only; the processor share changes the processor only', { timeout: 60_000 }, async () => {
  const { signals } = await machine();
  const [display, other] = signals.gpus.map((gpu) => gpu.id) as [string, string];
  const before = byId(decide(signals, sharing, NOW));
  assert.equal(before.get(other)!.limits.dutyCycle, 0.7, 'the default GPU share, 70 %');
  const shared = byId(decide(signals, { ...sharing, gpus: { [other]: { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 30 } } }, NOW));
  assert.equal(shared.get(other)!.limits.dutyCycle, 0.3);
  assert.deepEqual(shared.get(display), before.get(display));
  assert.deepEqual(shared.get('cpu'), before.get('cpu'));

  const cpuShare = byId(decide(signals, { ...sharing, cpuSharePercent: 25 }, NOW));
  assert.deepEqual([cpuShare.get('cpu')!.limits.threads, cpuShare.get('cpu')!.limits.dutyCycle], [3, 1], '25 % of 12 threads');
  assert.notDeepEqual(cpuShare.get('cpu')!.limits, before.get('cpu')!.limits);
  for (const id of [display, other]) assert.deepEqual(cpuShare.get(id), before.get(id));
});

test('the processor turned off: no work for it, both GPUs keep theirs; on again, it works', { timeout: 60_000 }, async () => {
  const { signals } = await machine();
  const before = byId(decide(signals, sharing, NOW));
  const off = decide(signals, { ...sharing, cpuEnabled: false }, NOW);
  const cpu = byId(off).get('cpu')!;
  assert.equal(cpu.run, false);
  assert.deepEqual(
    cpu.reasons.map((reason) => [reason.code, reason.message]),
    [['DEVICE_DISABLED', 'You turned sharing off for the processor.']],
    'said once, not also "share is 0 %"',
  );
  for (const gpu of signals.gpus) assert.deepEqual(byId(off).get(gpu.id), before.get(gpu.id));
  assert.equal(summarize(off, true).reason, 'Working: running tasks on your GPU.');
  assert.equal(byId(decide(signals, { ...sharing, cpuEnabled: false, cpuSharePercent: 0 }, NOW)).get('cpu')!.reasons.length, 1);
  assert.equal(byId(decide(signals, { ...sharing, cpuEnabled: true }, NOW, off)).get('cpu')!.run, true);
});

test('everything turned off device by device: the status says the first reason in plain words', { timeout: 60_000 }, async () => {
  const { signals } = await machine();
  const off = { ...DEFAULT_SETTINGS.gpuDefaults, enabled: false };
  const gpus = Object.fromEntries(signals.gpus.map((gpu) => [gpu.id, off]));
  const decision = decide(signals, { ...sharing, cpuEnabled: false, gpus }, NOW);
  assert.ok(decision.devices.every((device) => !device.run));
  assert.deepEqual(summarize(decision, false), { code: 'paused', reason: 'You turned sharing off for the processor.' });
});
