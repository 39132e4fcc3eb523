// Whether a bundle in dist/ is current: a stamp, written after each build, lists every input file (path, size, mtime)
// as it was when the build began and every output file as the build left it. The bundle is current while both lists
// still match the disk; otherwise the stamp says which file differs. Sizes and mtimes, not contents: a check of the
// whole tree takes a few milliseconds, and a file saved again unchanged costs one rebuild, never a stale start.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/** Every file the install puts in node_modules is summed up by npm's own record of it. */
const INSTALL = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json'];

/**
 * The two bundles, built separately: what each reads (a superset: whole folders) and what it writes. The renderer
 * imports main/common and the shaders; the Node side (scripts/build-main.mjs) bundles everything under main/ and
 * renders the icons.
 */
export const BUNDLES = {
  renderer: {
    inputs: ['renderer', 'main/common', 'shaders', 'vite.config.ts', 'tsconfig.base.json', 'tsconfig.web.json', ...INSTALL],
    outputs: ['dist/renderer'],
    command: ['node_modules/vite/bin/vite.js', 'build'],
  },
  main: {
    inputs: ['main', 'scripts/build-main.mjs', 'scripts/icons.mjs', 'build/icon.svg', 'tsconfig.base.json', ...INSTALL],
    outputs: ['dist/main', 'dist/preload', 'dist/icons'],
    command: ['scripts/build-main.mjs'],
  },
};

/** @typedef {Record<string, string>} Listing  path (from the project root, with /) → "size mtime" */

/** Every file under `paths` (files or folders, from `root`) with its size and mtime; a path that is missing is left out. */
export function listFiles(root, paths) {
  /** @type {Listing} */
  const files = {};
  const add = (path) => {
    const stats = statSync(join(root, path), { throwIfNoEntry: false });
    if (stats?.isFile()) files[path.split(sep).join('/')] = `${stats.size} ${stats.mtimeMs}`;
    else if (stats?.isDirectory()) for (const entry of readdirSync(join(root, path), { withFileTypes: true })) add(join(path, entry.name));
  };
  paths.forEach(add);
  return files;
}

/** The first path that differs between two listings (added, removed or changed), or null when they are the same. */
export function firstDifference(before, after) {
  for (const path of Object.keys(after)) if (before[path] !== after[path]) return path;
  for (const path of Object.keys(before)) if (!(path in after)) return path;
  return null;
}

/**
 * Where a project's stamps live: in node_modules/.cache (the usual place for build caches, kept out of dist/, which
 * is packaged), one folder per project root, so two checkouts sharing node_modules keep their own.
 */
export function stampDir(root) {
  const key = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 16);
  return join(root, 'node_modules', '.cache', 'synor-build', key);
}

const stampPath = (root, name) => join(stampDir(root), `${name}.json`);

/**
 * Why bundle `name` must be built, or null when dist/ holds it current. `inputs` is the listing taken now, before any
 * build, so a file changed while a build runs is seen by the next check.
 */
export function staleReason(root, name, inputs) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath(root, name), 'utf8'));
  } catch {
    return 'no record of an earlier build';
  }
  const input = firstDifference(stamp.inputs ?? {}, inputs);
  if (input) return `${input} changed`;
  const output = firstDifference(stamp.outputs ?? {}, listFiles(root, BUNDLES[name].outputs));
  return output ? `${output} changed since the last build` : null;
}

/** Records a finished build: the inputs as they were when it began, the outputs as it left them. */
export function writeStamp(root, name, inputs) {
  mkdirSync(stampDir(root), { recursive: true });
  const outputs = listFiles(root, BUNDLES[name].outputs);
  writeFileSync(stampPath(root, name), JSON.stringify({ inputs, outputs }));
}
