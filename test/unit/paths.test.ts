import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { appPaths } from '../../main/core/paths.js';

const home = '/home/ada';

test('Linux follows XDG, with the usual defaults', { timeout: 120_000 }, () => {
  assert.deepEqual(appPaths('linux', {}, home), {
    configDir: join(home, '.config', 'synor-contributor'),
    dataDir: join(home, '.local', 'share', 'synor-contributor'),
  });
  assert.deepEqual(appPaths('linux', { XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' }, home), {
    configDir: join('/c', 'synor-contributor'),
    dataDir: join('/d', 'synor-contributor'),
  });
});

test('Windows uses roaming AppData for settings and local AppData for data', { timeout: 120_000 }, () => {
  assert.deepEqual(appPaths('win32', { APPDATA: 'R', LOCALAPPDATA: 'L' }, home), {
    configDir: join('R', 'Synor Contributor'),
    dataDir: join('L', 'Synor Contributor'),
  });
});

test('macOS uses Application Support', { timeout: 120_000 }, () => {
  const dir = join(home, 'Library', 'Application Support', 'Synor Contributor');
  assert.deepEqual(appPaths('darwin', {}, home), { configDir: dir, dataDir: dir });
});

test('SYNOR_HOME puts everything in one folder on every OS', { timeout: 120_000 }, () => {
  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    assert.deepEqual(appPaths(platform, { SYNOR_HOME: '/x' }, home), { configDir: join('/x', 'config'), dataDir: join('/x', 'data') });
  }
});
