// The activity log's words for settings changes: every setting a user can change has a sentence, never a field name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, PRESETS, SettingsSchema, type Settings } from '../../main/common/settings.js';
import { describeSettingsChange } from '../../main/core/settings/describe.js';

const with_ = (patch: Partial<Settings>): Settings => SettingsSchema.parse({ ...DEFAULT_SETTINGS, ...patch });

test('a change reads as a sentence with the old and new value', { timeout: 5000 }, () => {
  assert.deepEqual(describeSettingsChange(DEFAULT_SETTINGS, with_({ cpuSharePercent: 75 })), ['CPU share changed from 50 % to 75 %']);
  assert.deepEqual(describeSettingsChange(DEFAULT_SETTINGS, with_({ idleOnly: { enabled: true, minutes: 1 } })), [
    '"Only when I am away" changed from off to on',
    'Minutes away before sharing changed from 10 minutes to 1 minute',
  ]);
  assert.deepEqual(describeSettingsChange(DEFAULT_SETTINGS, with_({ pauseWhenUserCpuAbovePercent: 70 })), [
    'Pause when your programs use more CPU than changed from off to 70 %',
  ]);
  assert.deepEqual(
    describeSettingsChange(DEFAULT_SETTINGS, with_({ notifications: ['pause', 'wallet', 'claim', 'device', 'network', 'fleet'] })),
    ['Notifications about updates turned off'],
  );
});

test('every setting but the share toggle has words, and no sentence carries an internal name', { timeout: 5000 }, () => {
  const everything = with_({
    cpuSharePercent: 1,
    memorySharePercent: 2,
    diskBudgetGiB: 3,
    gpuDefaults: { enabled: false, sharePercent: 4, vramLimitMiB: 512, maxTempC: 70 },
    gpus: { 'GPU-1': DEFAULT_SETTINGS.gpuDefaults },
    idleOnly: { enabled: true, minutes: 5 },
    pauseWhenUserCpuAbovePercent: 90,
    power: { pauseOnBattery: false, minBatteryPercent: 20, chargingOnly: true, mode: 'performance' },
    thermal: { maxCpuC: 70, hysteresisC: 3 },
    schedule: { enabled: true, week: DEFAULT_SETTINGS.schedule.week },
    pausedUntil: 1,
    pauseWhileApps: ['steam'],
    pauseWhileFullscreen: false,
    network: { coordinatorUrl: 'https://synor.example', tariffPerKwh: 0.1, usdPerSynor: 2 },
    chain: { rpcUrl: 'https://rpc.example', chainId: 1, tokenAddress: `0x${'1'.repeat(40)}`, payoutAddress: `0x${'2'.repeat(40)}` },
    startAtLogin: false,
    notifications: [],
    autoClaim: { enabled: true, thresholdWei: '2500000000000000000' },
  });
  const lines = describeSettingsChange(DEFAULT_SETTINGS, everything);
  assert.ok(lines.length >= 20, JSON.stringify(lines));
  const internal = /cpuSharePercent|idleOnly|gpuDefaults|pausedUntil|usdPerSynor|undefined|null|\[object/;
  for (const line of lines) assert.doesNotMatch(line, internal);
});

test('a preset is described setting by setting; nothing changed says nothing', { timeout: 5000 }, () => {
  const lines = describeSettingsChange(DEFAULT_SETTINGS, with_(PRESETS.light));
  assert.ok(lines.includes('CPU share changed from 50 % to 25 %'), JSON.stringify(lines));
  assert.deepEqual(describeSettingsChange(DEFAULT_SETTINGS, DEFAULT_SETTINGS), []);
});

test('no preset switches on a policy this system may not honour; defaults hold back no work on a busy machine', { timeout: 5000 }, () => {
  assert.equal(DEFAULT_SETTINGS.idleOnly.enabled, false);
  assert.equal(DEFAULT_SETTINGS.pauseWhenUserCpuAbovePercent, null);
  for (const [name, preset] of Object.entries(PRESETS)) assert.ok(!('idleOnly' in preset), `${name} sets idleOnly`);
});
