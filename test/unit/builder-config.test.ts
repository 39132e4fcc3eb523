import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as fuses from '@electron/fuses';
import hook, { fuseConfig } from '../../build/after-pack.mjs';
import { PNG_SIZES, writeIcons } from '../../scripts/icons.mjs';
import { tempDir } from '../helpers/fakes.js';
import { ROOT } from '../helpers/headless.js';

// electron-builder cannot package offline (it downloads Electron), but its configuration loader and schema run offline.
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig: (dir: string, path: string | null, options: unknown) => Promise<Record<string, unknown>>;
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};
const builderUtil = require(require.resolve('builder-util', { paths: [dirname(require.resolve('app-builder-lib'))] })) as {
  DebugLogger: new (enabled: boolean) => unknown;
  log: { stream: NodeJS.WritableStream };
};
const logger = new builderUtil.DebugLogger(false);
// electron-builder logs to stdout in three writes a line, and node's test runner reads its own messages from the same
// stdout: a log line landing inside one of them failed the file ("Unable to deserialize cloned data"). To stderr.
builderUtil.log.stream = process.stderr;

test(
  'electron-builder.yml passes electron-builder validation, with icons, deb dependencies, desktop entry and an update feed',
  { timeout: 120_000 },
  async () => {
    const config = await getConfig(ROOT, 'electron-builder.yml', null);
    await validateConfiguration(config, logger);
    assert.equal(config['appId'], 'network.synor.contributor');
    assert.deepEqual(config['asarUnpack'], ['**/*.node', 'node_modules/onnxruntime-node/bin/**', 'node_modules/@foundry-rs/anvil-*/**']);
    assert.equal(config['afterPack'], './build/after-pack.mjs');
    const publish = config['publish'] as { provider: string; url: string };
    assert.equal(publish.provider, 'generic');
    assert.match(publish.url, /^https:\/\//);
    const linux = config['linux'] as { target: string[]; icon: string; desktop: { entry: Record<string, string> } };
    assert.deepEqual(linux.target, ['AppImage', 'deb']);
    assert.equal(linux.icon, 'dist/icons');
    assert.equal(linux.desktop.entry['Name'], 'Synor Contributor');
    const depends = (config['deb'] as { depends: string[] }).depends;
    for (const lib of ['libsecret-1-0', 'libnotify4', 'libayatana-appindicator3-1 | libappindicator3-1'])
      assert.ok(depends.includes(lib), lib);
    assert.equal((config['win'] as { icon: string }).icon, 'dist/icons/icon.ico');
    assert.equal((config['mac'] as { icon: string }).icon, 'dist/icons/icon.icns');
  },
);

test('the validator does reject a broken configuration', { timeout: 120_000 }, async () => {
  const config = await getConfig(ROOT, 'electron-builder.yml', { compression: 'extreme', nsis: { oneClick: 'sometimes' } });
  await assert.rejects(validateConfiguration(config, logger), /configuration/i);
});

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (png: Buffer) => {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
};

test('icons are rendered from the SVG: PNGs by size, an ICO and an ICNS whose entries are those PNGs', { timeout: 60_000 }, async () => {
  const out = await tempDir('synor-icons-');
  await writeIcons(join(ROOT, 'build', 'icon.svg'), out);
  for (const size of PNG_SIZES) assert.deepEqual(pngSize(await readFile(join(out, `${size}x${size}.png`))), [size, size]);
  const ico = await readFile(join(out, 'icon.ico'));
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2)], [0, 1]);
  const count = ico.readUInt16LE(4);
  const icoSizes = Array.from({ length: count }, (_, i) => {
    const at = 6 + 16 * i;
    const declared = ico.readUInt8(at) || 256;
    const png = ico.subarray(ico.readUInt32LE(at + 12), ico.readUInt32LE(at + 12) + ico.readUInt32LE(at + 8));
    assert.deepEqual(pngSize(png), [declared, declared]);
    return declared;
  });
  assert.deepEqual(icoSizes, [16, 24, 32, 48, 64, 128, 256]);
  const icns = await readFile(join(out, 'icon.icns'));
  assert.equal(icns.toString('ascii', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  const entries: Record<string, number> = {};
  for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
    entries[icns.toString('ascii', at, at + 4)] = pngSize(icns.subarray(at + 8, at + icns.readUInt32BE(at + 4)))[0]!;
  }
  // Apple's types: ic07-ic10 are 128-1024 px, ic11-ic14 the @2x of 16-256 pt.
  assert.deepEqual(entries, {
    icp4: 16,
    icp5: 32,
    ic11: 32,
    icp6: 64,
    ic12: 64,
    ic07: 128,
    ic08: 256,
    ic13: 256,
    ic09: 512,
    ic14: 512,
    ic10: 1024,
  });
});

/** A packaged Linux app folder as electron-builder lays it out, with what asarUnpack should have put beside app.asar. */
async function packedApp(withOnnx: boolean, withAddon: boolean, anvil: 'none' | 'packed' | 'unpacked' = 'none') {
  const appOutDir = await tempDir('synor-pack-');
  const unpacked = join(appOutDir, 'resources', 'app.asar.unpacked');
  await writeFile(join(appOutDir, 'synor-contributor'), 'ELF');
  await mkdir(join(appOutDir, 'resources'), { recursive: true });
  await writeFile(join(appOutDir, 'resources', 'app.asar'), 'asar');
  // onnxruntime-node's own layout (node_modules/onnxruntime-node/bin/napi-v6/linux/x64 in this repository).
  const ort = join(unpacked, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64');
  await mkdir(ort, { recursive: true });
  if (withOnnx) for (const file of ['onnxruntime_binding.node', 'libonnxruntime.so.1']) await writeFile(join(ort, file), 'lib');
  const projectDir = await tempDir('synor-project-');
  await mkdir(join(projectDir, 'native', 'build', 'Release'), { recursive: true });
  await writeFile(join(projectDir, 'native', 'build', 'Release', 'synor_hardware.node'), 'addon');
  if (withAddon) {
    await mkdir(join(unpacked, 'native', 'build', 'Release'), { recursive: true });
    await writeFile(join(unpacked, 'native', 'build', 'Release', 'synor_hardware.node'), 'addon');
  }
  // An app that depends on anvil (the embedded devnet's chain) ships its program for this platform unpacked.
  if (anvil !== 'none')
    await writeFile(join(projectDir, 'package.json'), JSON.stringify({ dependencies: { '@foundry-rs/anvil': '^1.7.1' } }));
  if (anvil === 'unpacked') {
    await mkdir(join(unpacked, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin'), { recursive: true });
    await writeFile(join(unpacked, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil'), 'ELF');
  }
  return {
    electronPlatformName: 'linux',
    arch: 1,
    appOutDir,
    packager: { projectDir, executableName: 'synor-contributor', appInfo: { productFilename: 'Synor Contributor' } },
  };
}

test('after pack: the fuses are flipped on the packaged binary, once the native code is found unpacked', { timeout: 120_000 }, async () => {
  const context = await packedApp(true, true);
  const flipped: [string, Record<string, unknown>][] = [];
  await hook(context, { ...fuses, flipFuses: async (path: string, config: Record<string, unknown>) => (flipped.push([path, config]), 1) });
  assert.equal(flipped.length, 1);
  assert.equal(flipped[0]![0], join(context.appOutDir, 'synor-contributor'));
  const F = fuses.FuseV1Options;
  assert.deepEqual(flipped[0]![1], {
    version: fuses.FuseVersion.V1,
    resetAdHocDarwinSignature: false,
    [F.RunAsNode]: true,
    [F.EnableCookieEncryption]: true,
    [F.EnableNodeOptionsEnvironmentVariable]: false,
    [F.EnableNodeCliInspectArguments]: false,
    [F.EnableEmbeddedAsarIntegrityValidation]: true,
    [F.OnlyLoadAppFromAsar]: true,
    [F.GrantFileProtocolExtraPrivileges]: false,
  });
  assert.equal(fuseConfig(fuses, 'darwin', 'arm64').resetAdHocDarwinSignature, true);
});

test(
  'after pack: a build whose onnxruntime, addon or anvil stayed inside app.asar fails, saying what is missing',
  { timeout: 120_000 },
  async () => {
    const noFlip = { ...fuses, flipFuses: async () => assert.fail('fuses flipped on a broken package') };
    await assert.rejects(hook(await packedApp(false, true), noFlip), /onnxruntime's binding for linux\/x64 is not unpacked/);
    await assert.rejects(hook(await packedApp(true, false), noFlip), /native hardware addon synor_hardware\.node is not unpacked/);
    await assert.rejects(hook(await packedApp(true, true, 'packed'), noFlip), /the embedded devnet's chain \(anvil\) is not unpacked/);
    const flipped: string[] = [];
    await hook(await packedApp(true, true, 'unpacked'), { ...fuses, flipFuses: async (path: string) => (flipped.push(path), 1) });
    assert.equal(flipped.length, 1);
  },
);
