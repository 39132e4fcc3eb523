// A patch carries only what the user changed. zod 4 fills a field's default into .partial() too, so every patch once
// carried receiptDetailDays: 7 and every notification kind, undoing the user's own values on any other change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, SettingsPatchSchema, SettingsSchema } from '../../main/common/settings.js';

test('a patch leaves out what it does not name, defaulted fields included', { timeout: 10_000 }, () => {
  assert.deepEqual(SettingsPatchSchema.parse({ sharing: true }), { sharing: true });
  assert.deepEqual(SettingsPatchSchema.parse({ cpuEnabled: false }), { cpuEnabled: false });
  assert.equal(SettingsPatchSchema.safeParse({ cpuEnabled: 'no' }).success, false, 'still checked when named');
});

test('a settings file from before the processor switch reads as on', { timeout: 10_000 }, () => {
  const older: Record<string, unknown> = { ...DEFAULT_SETTINGS, cpuSharePercent: 30 };
  delete older['cpuEnabled'];
  assert.equal(SettingsSchema.parse(older).cpuEnabled, true);
});
