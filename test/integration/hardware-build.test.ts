// scripts/build-native.mjs: finds the running Node's own headers, and never fails `npm install` (one line instead).
// Failure cases build a copy of native/ in a temp folder so the checkout's addon, used by other tests, stays intact.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { findNodeDir } from '../../scripts/build-native.mjs';
import { ROOT } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

async function fakeHeaders(prefix: string, version: string): Promise<void> {
  const include = join(prefix, 'include', 'node');
  await mkdir(include, { recursive: true });
  const [major, minor, patch] = version.split('.');
  await writeFile(
    join(include, 'node_version.h'),
    `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n`,
  );
  await writeFile(join(include, 'node_api.h'), '');
  await writeFile(join(include, 'common.gypi'), '{}');
}

test('headers are found next to the running node binary, and the same version wins', { timeout: 120_000 }, async () => {
  const prefix = await tempDir();
  await fakeHeaders(prefix, '20.19.0');
  const execPath = join(prefix, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  // npm passes its own nodedir setting (this machine has one) to scripts it runs: none here, to test the search.
  assert.equal(findNodeDir(execPath, '', '20.19.0', ''), prefix);
  const other = await tempDir();
  await fakeHeaders(other, '22.1.0');
  assert.equal(findNodeDir(execPath, other, '22.1.0', ''), other, 'the configured prefix, when it matches');
  assert.equal(findNodeDir(join(await tempDir(), 'bin', 'node'), other, '20.19.0', ''), other, 'any headers beat none');
  assert.equal(findNodeDir(execPath, other, '22.1.0', prefix), other, "the same version beats npm's nodedir setting");
});

/** Runs the build script from a copy of scripts/ and native/ (and its package.json) in a temp folder. */
async function buildCopy(env: NodeJS.ProcessEnv, breakSource = false) {
  const root = await tempDir();
  await cp(join(ROOT, 'scripts', 'build-native.mjs'), join(root, 'scripts', 'build-native.mjs'));
  await cp(join(ROOT, 'native', 'src'), join(root, 'native', 'src'), { recursive: true });
  await cp(join(ROOT, 'native', 'binding.gyp'), join(root, 'native', 'binding.gyp'));
  if (breakSource) await appendFile(join(root, 'native', 'src', 'cpu.cc'), '\n#error deliberately broken\n');
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: root, ...env },
  });
  return { status: run.status, lines: run.stdout.trim().split('\n') };
}

const ONE_LINE = /^native hardware probe not built \((.+)\); the JS fallback will be used$/;

test('without node-gyp the install still succeeds, with one line saying why', { timeout: 120_000 }, async () => {
  const { status, lines } = await buildCopy({});
  assert.equal(status, 0);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, ONE_LINE);
  assert.match(lines[0]!, /node-gyp is not installed/);
});

test('a compile error does not fail the install: the line quotes the compiler', { timeout: 120_000 }, async () => {
  const gyp = createRequire(join(ROOT, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  // npm sets npm_config_node_gyp for lifecycle scripts; NODE_PATH lets binding.gyp find node-addon-api.
  const { status, lines } = await buildCopy({ npm_config_node_gyp: gyp, NODE_PATH: join(ROOT, 'node_modules') }, true);
  assert.equal(status, 0);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, ONE_LINE);
  assert.match(lines[0]!, /#error deliberately broken/);
});
