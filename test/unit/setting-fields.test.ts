import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SettingsPatchSchema } from '../../main/common/settings.js';
import { settingAt, settingPatch } from '../../renderer/src/lib/setting-fields.js';

const opts = { timeout: 5000 };

test('a setting is read by its path, top-level or in a group', opts, () => {
  const settings = { ...DEFAULT_SETTINGS, cpuSharePercent: 35, thermal: { ...DEFAULT_SETTINGS.thermal, maxCpuC: 77 } };
  assert.equal(settingAt(settings, 'cpuSharePercent'), 35);
  assert.equal(settingAt(settings, 'thermal.maxCpuC'), 77);
  assert.equal(settingAt(settings, 'power.chargingOnly'), DEFAULT_SETTINGS.power.chargingOnly);
  assert.equal(settingAt(settings, 'network.usdPerSynor'), DEFAULT_SETTINGS.network.usdPerSynor);
});

test('a patch sets one field: a group is sent whole with its other fields as they are, and the agent accepts it', opts, () => {
  const settings = { ...DEFAULT_SETTINGS, thermal: { maxCpuC: 80, hysteresisC: 4 } };
  assert.deepEqual(settingPatch(settings, 'cpuSharePercent', 40), { cpuSharePercent: 40 });
  assert.deepEqual(settingPatch(settings, 'thermal.hysteresisC', 6), { thermal: { maxCpuC: 80, hysteresisC: 6 } });
  assert.deepEqual(settingPatch(settings, 'network.usdPerSynor', null), { network: { ...settings.network, usdPerSynor: null } });
  for (const patch of [settingPatch(settings, 'idleOnly.enabled', true), settingPatch(settings, 'power.minBatteryPercent', 30)])
    assert.ok(SettingsPatchSchema.safeParse(patch).success, JSON.stringify(patch));
});
