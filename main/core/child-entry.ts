import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a child process's code lives and how to start Node on it. */
export interface ChildEntry {
  path: string;
  execArgv: string[];
}

/**
 * From source (tests, dev) a child is the `.ts` file at `source` (relative to the caller, no extension), run
 * through tsx; in a build, scripts/build-main.mjs bundles it as `<bundled>.js` next to the bundle that imports
 * the caller. `callerUrl` is the caller's import.meta.url (empty in the CommonJS Electron bundle, which has
 * __filename).
 */
export function childEntry(callerUrl: string, source: string, bundled = basename(source)): ChildEntry {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(callerUrl);
  const file = join(dirname(here), `${source}.ts`);
  if (here.endsWith('.ts') && existsSync(file)) return { path: file, execArgv: ['--import', 'tsx'] };
  return { path: join(dirname(here), `${bundled}.js`), execArgv: [] };
}
