// What a fleet owner's command may change on a member: the share, the pause, a preset and the schedule, and nothing
// else (never the wallet, the network or secrets), as the settings patch it becomes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FleetCommandSchema, type FleetCommand } from '../../main/common/fleet.js';
import { DEFAULT_SETTINGS, PRESETS, SettingsPatchSchema } from '../../main/common/settings.js';
import { commandPatch, describeCommand } from '../../main/core/fleet/command-patch.js';

const T = { timeout: 10_000 };

const ALLOWED = new Set(['sharing', 'pausedUntil', 'schedule', ...Object.values(PRESETS).flatMap((preset) => Object.keys(preset))]);

test('each command becomes a valid patch of the share, the pause, a preset or the schedule only', T, () => {
  const now = 1_000_000;
  const commands: FleetCommand[] = [
    { type: 'share', on: true },
    { type: 'pause', ms: 7_200_000 },
    { type: 'pause', ms: 0 },
    { type: 'profile', preset: 'light', sharing: true, schedule: { enabled: true, week: DEFAULT_SETTINGS.schedule.week } },
    { type: 'profile' },
  ];
  const patches = commands.map((command) => commandPatch(command, now));
  assert.deepEqual(patches.slice(0, 3), [{ sharing: true }, { pausedUntil: now + 7_200_000 }, { pausedUntil: null }]);
  for (const patch of patches) {
    assert.ok(SettingsPatchSchema.safeParse(patch).success, JSON.stringify(patch));
    for (const key of Object.keys(patch)) assert.ok(ALLOWED.has(key), `a command changed ${key}`);
  }
  for (const command of commands) assert.doesNotMatch(describeCommand(command), /undefined|pausedUntil|\{/);
});

test('a command naming the wallet, the network or another setting is refused by its schema', T, () => {
  for (const hostile of [
    { type: 'profile', network: { coordinatorUrl: 'https://evil.example' } },
    { type: 'profile', chain: null },
    { type: 'wallet', export: true },
    { type: 'share', on: true, cpuSharePercent: 100 },
    { type: 'pause', ms: -1 },
    { type: 'pause', ms: 31 * 86_400_000 },
  ]) {
    assert.equal(FleetCommandSchema.safeParse(hostile).success, false, JSON.stringify(hostile));
  }
});
