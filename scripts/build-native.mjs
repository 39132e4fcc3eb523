// Builds the native hardware probe (native/) with node-gyp, offline: it points node-gyp at the headers that came
// with the running Node instead of letting it download them. Runs as the root package's `install` script, so it
// must never fail the install: on any problem it prints one line and the app uses its JS fallback.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const logFile = join(nativeDir, 'build', 'build-native.log');

/** Header version of `<dir>/include/node`, or null when there are no usable N-API headers there. */
function headerVersion(dir) {
  const include = join(dir, 'include', 'node');
  if (!existsSync(join(include, 'node_api.h')) || !existsSync(join(include, 'common.gypi'))) return null;
  const text = readFileSync(join(include, 'node_version.h'), 'utf8');
  const part = (name) => /#define\s+NODE_\w+_VERSION\s+(\d+)/.exec(text.slice(text.indexOf(`NODE_${name}_VERSION`) - 8))?.[1];
  return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
}

/** Where the running Node's own headers live: next to the binary (official tarballs, Homebrew, nvm), the
 * configured prefix, or the distribution's -dev package. The same version wins over any other. */
export function findNodeDir(
  execPath = process.execPath,
  nodePrefix = process.config.variables.node_prefix,
  version = process.versions.node,
  configured = process.env.npm_config_nodedir,
) {
  const candidates = [configured, resolve(dirname(execPath), '..'), nodePrefix, '/usr', '/usr/local'].filter(
    (dir) => typeof dir === 'string' && dir.length > 0,
  );
  const usable = candidates.filter((dir) => headerVersion(dir) !== null);
  return usable.find((dir) => headerVersion(dir) === version) ?? usable[0] ?? null;
}

function nodeGyp() {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return process.env.npm_config_node_gyp || null; // npm's own copy, set during lifecycle scripts
  }
}

/** The line that explains the failure: the first compiler error, else node-gyp's own last complaint. */
function reason(output) {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (
    lines.find((line) => /\berror:/.test(line)) ??
    lines.findLast((line) => line.startsWith('gyp ERR! stack Error')) ??
    lines.at(-1) ??
    'no output'
  );
}

export function buildNative() {
  const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'synor_hardware.node');
  if (existsSync(prebuilt)) return { ok: true, message: `native hardware probe: using prebuilt ${prebuilt}` };
  const gyp = nodeGyp();
  if (!gyp) return { ok: false, message: 'node-gyp is not installed' };
  const nodedir = findNodeDir();
  const args = [gyp, 'rebuild', `--directory=${nativeDir}`];
  // No headers found: node-gyp falls back to its cache (and would download only where the network allows).
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: nodedir ?? '' },
  });
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, output);
  if (result.status !== 0) return { ok: false, message: `${reason(output)}; full log: ${logFile}` };
  return { ok: true, message: `native hardware probe built (headers: ${nodedir ?? 'node-gyp cache'})` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { ok, message } = buildNative();
  console.log(ok ? message : `native hardware probe not built (${message}); the JS fallback will be used`);
  // Exit 0 on failure on purpose: a missing addon is a supported configuration, not a broken install.
}
