import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { SettingsStore } from '../../main/core/settings/store.js';
import { FakeClock, tempDir } from '../helpers/fakes.js';

const storeIn = async () => {
  const dir = await tempDir();
  return { dir, store: new SettingsStore(join(dir, 'settings.json'), new FakeClock()) };
};

test('a missing file is a first run: defaults, no notice', { timeout: 120_000 }, async () => {
  const { store } = await storeIn();
  assert.deepEqual(await store.load(), { settings: DEFAULT_SETTINGS });
});

test('saved settings load back unchanged, and no temp file is left behind', { timeout: 120_000 }, async () => {
  const { dir, store } = await storeIn();
  const settings = { ...DEFAULT_SETTINGS, sharing: true, cpuSharePercent: 80 };
  await store.save(settings);
  assert.deepEqual((await store.load()).settings, settings);
  assert.deepEqual(await readdir(dir), ['settings.json']);
});

const badFiles: [string, string, RegExp][] = [
  ['not JSON', '{"schemaVersion": 1, "sharing": tru', /not valid JSON/],
  ['an out-of-range value', JSON.stringify({ ...DEFAULT_SETTINGS, cpuSharePercent: 250 }), /invalid value at "cpuSharePercent"/],
  ['a newer schema version', JSON.stringify({ ...DEFAULT_SETTINGS, schemaVersion: 99 }), /newer version/],
  ['an unknown field', JSON.stringify({ ...DEFAULT_SETTINGS, surprise: 1 }), /invalid value/],
  ['not an object', '42', /invalid value/],
];
for (const [what, content, problem] of badFiles) {
  test(`a file with ${what} is kept aside, defaults load, and the notice says where`, { timeout: 120_000 }, async () => {
    const { dir, store } = await storeIn();
    await writeFile(store.file, content);
    const loaded = await store.load();
    assert.deepEqual(loaded.settings, DEFAULT_SETTINGS);
    assert.equal(loaded.notice?.code, 'SETTINGS_UNUSABLE');
    assert.match(loaded.notice.message, problem);
    const aside = (await readdir(dir)).filter((name) => name.startsWith('settings.json.bad-'));
    assert.equal(aside.length, 1);
    assert.ok(loaded.notice.message.includes(join(dir, aside[0]!)));
    assert.equal(await readFile(join(dir, aside[0]!), 'utf8'), content, 'the user data is kept byte for byte');
    await store.save(DEFAULT_SETTINGS);
    assert.deepEqual(await store.load(), { settings: DEFAULT_SETTINGS }, 'the next start is clean');
  });
}

test('an unreadable settings path (a folder) gives a notice instead of a crash', { timeout: 120_000 }, async () => {
  const { store } = await storeIn();
  await mkdir(store.file);
  const loaded = await store.load();
  assert.deepEqual(loaded.settings, DEFAULT_SETTINGS);
  assert.match(loaded.notice?.message ?? '', /could not be read/);
});

test('a save into a path that cannot be a folder throws', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'file'), 'x');
  const store = new SettingsStore(join(dir, 'file', 'settings.json'), new FakeClock());
  await assert.rejects(store.save(DEFAULT_SETTINGS), /ENOTDIR|EEXIST/);
});

test('a version 1 file is upgraded: its values kept, new settings at their defaults', { timeout: 120_000 }, async () => {
  const { store } = await storeIn();
  await writeFile(
    store.file,
    JSON.stringify({ schemaVersion: 1, sharing: true, cpuSharePercent: 30, idleOnly: { enabled: false, minutes: 3 } }),
  );
  const loaded = await store.load();
  assert.equal(loaded.notice, undefined);
  assert.deepEqual(loaded.settings, { ...DEFAULT_SETTINGS, sharing: true, cpuSharePercent: 30, idleOnly: { enabled: false, minutes: 3 } });
});

test('a version that names an Object.prototype key is not taken for a migration', { timeout: 120_000 }, async () => {
  const { store } = await storeIn();
  await writeFile(store.file, JSON.stringify({ ...DEFAULT_SETTINGS, schemaVersion: 'constructor' }));
  assert.equal((await store.load()).notice?.code, 'SETTINGS_UNUSABLE');
});
