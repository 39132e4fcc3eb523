// The Devices page's words for a device's figures, its switch and share in the settings, and the fix the header
// offers for a device turned off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SettingsPatchSchema } from '../../main/common/settings.js';
import { flops } from '../../renderer/src/i18n/en-devices.js';
import { deviceChoice, devicePatch } from '../../renderer/src/lib/device-settings.js';
import { fixFor } from '../../renderer/src/lib/status.js';

test('speed in the unit that reads best, three significant digits', { timeout: 10_000 }, () => {
  assert.deepEqual([0, 950, 12_345, 8.5e8, 1.234e9, 2e13].map(flops), [
    '0 FLOP/s',
    '950 FLOP/s',
    '12.3 kFLOP/s',
    '850 MFLOP/s',
    '1.23 GFLOP/s',
    '20 TFLOP/s',
  ]);
});

test('a device turned off is turned on again on the Devices page, where its switch is', { timeout: 10_000 }, () => {
  assert.deepEqual(fixFor('DEVICE_DISABLED'), { label: 'Turn it on in Devices', href: '#/devices' });
  assert.deepEqual(fixFor('SHARE_ZERO'), { label: 'Change this in Settings', href: '#/settings/limits' });
});

test("a device's switch and share: the processor's top-level, a GPU's its own entry, else the defaults", { timeout: 10_000 }, () => {
  const settings = { ...DEFAULT_SETTINGS, gpus: { 'GPU-b': { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 30 } } };
  assert.deepEqual(deviceChoice(settings, 'cpu', 'cpu'), { enabled: true, sharePercent: 50 });
  assert.deepEqual(deviceChoice(settings, 'GPU-a', 'gpu'), { enabled: true, sharePercent: 70 }, 'no entry: the defaults');
  assert.deepEqual(deviceChoice(settings, 'GPU-b', 'gpu'), { enabled: true, sharePercent: 30 });
  assert.deepEqual(devicePatch(settings, 'cpu', 'cpu', { enabled: false }), { cpuEnabled: false });
  assert.deepEqual(devicePatch(settings, 'cpu', 'cpu', { sharePercent: 20 }), { cpuSharePercent: 20 });
  // Turning one GPU off keeps the other's entry and starts its own from the defaults.
  const patch = devicePatch(settings, 'GPU-a', 'gpu', { enabled: false });
  assert.deepEqual(patch, { gpus: { 'GPU-b': settings.gpus['GPU-b'], 'GPU-a': { ...DEFAULT_SETTINGS.gpuDefaults, enabled: false } } });
  assert.ok(SettingsPatchSchema.safeParse(patch).success, 'a patch the agent takes');
});
