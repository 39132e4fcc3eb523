// Builds the unpacked app (electron-builder's `--dir` target) for this platform, so the packaged file set can be
// checked and run (test/integration/packaged.test.ts). `node scripts/package-dir.mjs [--out DIR]` (default release/)
// builds the bundles that changed first and prints where the app went and how long packaging took.
//
// electron-builder takes Electron's binary from a download, which this machine and CI cannot make (no internet
// beyond the npm registry; the electron package's binary is not installed). Where no Electron binary is installed
// (node_modules/electron/dist), the script gives electron-builder a stand-in binary through
// `electronDist`: everything else is the real packaging (the file set, app.asar, what is unpacked, the after-pack
// hook with its fuses), so the app's files can be checked and the agent run from them with plain Node. The
// stand-in carries Electron's fuse wire, so the hook flips its fuses as it would the real binary's.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FuseState, SENTINEL } from '@electron/fuses/dist/constants.js';
import builder from 'electron-builder';
import { buildChanged } from './build-changed.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Electron's fuse wire: version 1 and eight fuses (as many as @electron/fuses 1.8 knows), all on as shipped. */
const FUSE_WIRE = Buffer.from([1, 8, ...Array(8).fill(FuseState.ENABLE)]);

/**
 * A folder laid out as an unpacked Electron for Linux whose `electron` only says it is a stand-in. The fuse wire
 * sits after `exit`, where the shell never reads.
 */
async function standInElectron(dir) {
  const script = '#!/bin/sh\necho "This is a stand-in for Electron (scripts/package-dir.mjs): it cannot run the app." >&2\nexit 1\n';
  const executable = join(dir, 'electron');
  await writeFile(executable, Buffer.concat([Buffer.from(script), Buffer.from(`# ${SENTINEL}`), FUSE_WIRE, Buffer.from('\n')]));
  await chmod(executable, 0o755);
  return dir;
}

/** The unpacked app for this platform in `out`; resolves to its folder (…/linux-unpacked and the like). */
async function packageDir(out) {
  const installed = join(root, 'node_modules', 'electron', 'dist');
  let scratch = null;
  let electronDist = installed;
  if (!existsSync(installed)) {
    if (process.platform !== 'linux')
      throw new Error('No Electron binary is installed (node_modules/electron/dist), and a stand-in is made only for Linux.');
    scratch = await mkdtemp(join(tmpdir(), 'synor-electron-'));
    electronDist = await standInElectron(scratch);
  }
  try {
    await builder.build({
      projectDir: root,
      targets: builder.Platform.current().createTarget('dir'),
      publish: 'never',
      config: { electronDist, directories: { output: out } },
    });
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  // electron-builder's names: linux-unpacked, linux-arm64-unpacked, win-unpacked, mac, mac-arm64 and so on.
  const arch = process.arch === 'x64' ? '' : `-${process.arch}`;
  return join(out, { linux: `linux${arch}-unpacked`, win32: `win${arch}-unpacked`, darwin: `mac${arch}` }[process.platform]);
}

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const code = await buildChanged();
if (code !== 0) process.exit(code);
const started = performance.now();
const dir = await packageDir(resolve(values.out ?? join(root, 'release')));
console.log(`package: the unpacked app is in ${dir} (packaging took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
