import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/headless.js';

// electron-builder cannot package offline (it downloads Electron), but its configuration loader and schema run offline.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig: (dir: string, path: string | null, options: unknown) => Promise<Record<string, unknown>>;
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};
const builderUtil = require(require.resolve('builder-util', { paths: [dirname(require.resolve('app-builder-lib'))] })) as {
  DebugLogger: new (enabled: boolean) => unknown;
};
const logger = new builderUtil.DebugLogger(false);

test('electron-builder.yml passes electron-builder validation', async () => {
  const config = await getConfig(ROOT, 'electron-builder.yml', null);
  await validateConfiguration(config, logger);
  assert.equal(config['appId'], 'network.synor.contributor');
  assert.deepEqual(config['asarUnpack'], ['**/*.node', 'node_modules/onnxruntime-node/bin/**']);
});

test('the validator does reject a broken configuration', async () => {
  const config = await getConfig(ROOT, 'electron-builder.yml', { compression: 'extreme', nsis: { oneClick: 'sometimes' } });
  await assert.rejects(validateConfiguration(config, logger), /configuration/i);
});
