#!/usr/bin/env node
// `synor` (package.json "bin"): runs the compiled command (dist/main/synor.js, bundled by scripts/build-main.mjs),
// building the Node side first where it is missing (a fresh clone). The command's own help: `synor help`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = fileURLToPath(new URL('../dist/main/synor.js', import.meta.url));
if (!existsSync(entry)) {
  // Its output goes to stderr: a script reading stdout sees only the command's answer.
  const build = spawnSync(process.execPath, ['scripts/build-main.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(pathToFileURL(entry).href);
