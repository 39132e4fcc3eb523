// The synor command's pure parts (durations, human lines with the one amount rule) and the kept local address file.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDuration } from '../../main/cli/duration.js';
import { showEarnings, showSettings } from '../../main/cli/show.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import {
  loadLocalAddress,
  localAddressFile,
  readLocalAddress,
  rotateLocalToken,
  saveLocalAddress,
} from '../../main/core/server/local-address.js';
import { tempDir } from '../helpers/fakes.js';

const T = { timeout: 60_000 };

test('durations: units add up; no unit, zero or an unknown unit is not a duration', T, () => {
  assert.equal(parseDuration('90m'), 90 * 60_000);
  assert.equal(parseDuration('2h30m'), 150 * 60_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('45s'), 45_000);
  for (const bad of ['', '5', 'm', '0m', '1x', '-5m', '1.5h', '2h 30m', '9999999999999999d'])
    assert.equal(parseDuration(bad), undefined, bad);
});

test('earnings lines show SYNOR with 6 significant digits, from wei', T, () => {
  const bucket = (key: string, confirmedWei: string, pendingWei: string, receipts: number) => ({
    key,
    confirmedWei,
    pendingWei,
    receipts,
    pendingTasks: 0,
  });
  const text = showEarnings({
    total: bucket('all', '1280789051589', '12345678900000000000', 3),
    series: { step: 'day', bars: [] },
    rejected: 1,
    byDay: [bucket('2026-12-06', '1280789051589', '0', 1)],
    byDevice: [bucket('cpu-0', '1000000000000000000', '0', 1)],
    byResource: [],
    byNetwork: [],
  });
  assert.match(text, /^Total: +0\.00000128079 SYNOR confirmed, 12\.3457 SYNOR pending \(3 receipts\)$/m);
  assert.match(text, /^Rejected: +1 result failed verification and earned nothing$/m);
  assert.match(text, /^2026-12-06: +0\.00000128079 SYNOR confirmed, 0 SYNOR pending \(1 receipt\)$/m);
  assert.match(text, /^Device cpu-0: +1 SYNOR confirmed/m);
});

test('settings print one `path = value` line each, groups opened by dots', T, () => {
  const lines = showSettings(DEFAULT_SETTINGS).split('\n');
  assert.ok(lines.includes('cpuSharePercent = 50'));
  assert.ok(lines.includes('power.mode = balanced'));
  assert.ok(lines.includes('pausedUntil = null'));
  assert.ok(
    lines.every((line) => / = /.test(line)),
    'no empty group leaves a blank line',
  );
});

test('the local address: a new token the first time, kept as saved (mode 0600), rotation keeps the port', T, async () => {
  const dir = await tempDir('synor-address-');
  const first = await loadLocalAddress(dir, 0);
  assert.match(first.address.token, /^[0-9a-f]{64}$/);
  assert.equal(first.setAsideAs, undefined);
  assert.equal(await readLocalAddress(dir), undefined, 'loading alone writes nothing');
  await saveLocalAddress(dir, { ...first.address, port: 8123 });
  assert.equal((await stat(localAddressFile(dir))).mode & 0o777, 0o600);
  assert.deepEqual((await loadLocalAddress(dir, 0)).address, { token: first.address.token, port: 8123 });
  const rotated = await rotateLocalToken(dir, 0);
  assert.notEqual(rotated.address.token, first.address.token);
  assert.deepEqual(await readLocalAddress(dir), { token: rotated.address.token, port: 8123 });
});

test('an unusable address file (torn, wrong shape, a folder) is set aside, never deleted, and a new token is made', T, async () => {
  for (const [what, make] of [
    ['torn', (file: string) => writeFile(file, '{"token":"ab')],
    ['wrong shape', (file: string) => writeFile(file, JSON.stringify({ token: 'x', port: 80 }))],
    ['a folder', (file: string) => mkdir(file)],
  ] as const) {
    const dir = await tempDir('synor-address-bad-');
    const before = await make(localAddressFile(dir)).then(() => readFile(localAddressFile(dir), 'utf8').catch(() => 'folder'));
    const loaded = await loadLocalAddress(dir, Date.UTC(2026, 11, 7));
    assert.equal(loaded.setAsideAs, 'local-api.json.bad-2026-12-07T00-00-00-000Z', what);
    assert.match(loaded.address.token, /^[0-9a-f]{64}$/);
    assert.deepEqual(await readdir(dir), [loaded.setAsideAs], `${what}: moved, nothing else written yet`);
    const aside = await readFile(join(dir, loaded.setAsideAs!), 'utf8').catch(() => 'folder');
    assert.equal(aside, before, `${what}: kept as it was`);
  }
});
