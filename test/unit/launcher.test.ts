import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { displayProblem, findElectron } from '../../scripts/launcher.mjs';
import { tempDir } from '../helpers/fakes.js';

const withDisplay = { DISPLAY: ':0' };

/** An electron package folder as npm leaves it: without the binary until first use. */
async function electronPackage(withBinary: boolean) {
  const dir = await tempDir();
  await writeFile(join(dir, 'package.json'), '{}');
  if (withBinary) {
    await writeFile(join(dir, 'path.txt'), 'electron');
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), '');
  }
  return dir;
}

test('Linux without DISPLAY or WAYLAND_DISPLAY has no display; other OSes always have one', { timeout: 120_000 }, () => {
  assert.match(displayProblem('linux', {}) ?? '', /no graphical display/);
  assert.equal(displayProblem('linux', { WAYLAND_DISPLAY: 'wayland-0' }), null);
  assert.equal(displayProblem('win32', {}), null);
});

test('no display: the reason comes without trying a download', { timeout: 120_000 }, async () => {
  const electronDir = await electronPackage(false);
  const found = await findElectron({ electronDir, platform: 'linux', env: {}, download: () => assert.fail('no download') });
  assert.deepEqual(found, { reason: 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)' });
});

test('an installed binary is used as it is', { timeout: 120_000 }, async () => {
  const electronDir = await electronPackage(true);
  const found = await findElectron({ electronDir, platform: 'linux', env: withDisplay, download: () => assert.fail('no download') });
  assert.deepEqual(found, { binary: join(electronDir, 'dist', 'electron') });
});

test('a missing binary is downloaded once; a failed download is the reason', { timeout: 120_000 }, async () => {
  const electronDir = await electronPackage(false);
  let downloads = 0;
  const failing = async () => {
    downloads++;
    return 'Error: fetch failed';
  };
  const found = await findElectron({ electronDir, platform: 'linux', env: withDisplay, download: failing });
  assert.deepEqual(found, { reason: 'the Electron binary is missing and could not be downloaded (Error: fetch failed)' });
  assert.equal(downloads, 1);
});

test('a successful download is picked up', { timeout: 120_000 }, async () => {
  const electronDir = await electronPackage(false);
  const installing = async (dir: string) => {
    await writeFile(join(dir, 'path.txt'), 'electron');
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), '');
    return null;
  };
  const found = await findElectron({ electronDir, platform: 'linux', env: withDisplay, download: installing });
  assert.deepEqual(found, { binary: join(electronDir, 'dist', 'electron') });
});

test('ELECTRON_OVERRIDE_DIST_PATH points at a local build', { timeout: 120_000 }, async () => {
  const electronDir = await electronPackage(false);
  const local = await tempDir();
  await writeFile(join(local, 'electron'), '');
  const found = await findElectron({ electronDir, platform: 'linux', env: { ...withDisplay, ELECTRON_OVERRIDE_DIST_PATH: local } });
  assert.deepEqual(found, { binary: join(local, 'electron') });
});
