// The Devices page's words for a device's figures, and the fix the header offers for a device turned off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flops } from '../../renderer/src/i18n/en-devices.js';
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
