import { cp, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { stampDir } from '../../scripts/build-freshness.mjs';
import { tempDir } from './fakes.js';
import { ROOT } from './headless.js';

/** What the build reads and writes (scripts/build-freshness.mjs), and what the started app reads beside dist/. */
const COPIED = [
  'main',
  'renderer',
  'shaders',
  'scripts',
  'build',
  'vite.config.ts',
  'tsconfig.base.json',
  'tsconfig.web.json',
  'package.json',
  'package-lock.json',
  'dist',
];

/**
 * A copy of the project's sources and dist/, their times kept, with node_modules linked: builds and starts there are
 * the real ones, and neither touch this checkout (where others may be editing) nor see its edits. `remove` drops the
 * copy's build records, which live in the shared node_modules; the copy itself goes with the test process.
 */
export async function projectCopy(): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await tempDir('synor-project-');
  await Promise.all(COPIED.map((path) => cp(join(ROOT, path), join(root, path), { recursive: true, preserveTimestamps: true })));
  await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  return { root, remove: () => rm(stampDir(root), { recursive: true, force: true }) };
}
