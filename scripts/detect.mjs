// `npm run detect`: runs the compiled detect command (dist/main/detect.js, bundled by build-main.mjs), which starts
// in a fraction of the time tsx takes; builds the Node side first where it is missing (a fresh clone).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const needed = ['detect.js', 'probe-child.js'].map((file) => join(root, 'dist', 'main', file));
if (!needed.every((file) => existsSync(file))) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-main.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
await import(pathToFileURL(needed[0]).href);
