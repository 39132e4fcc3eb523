import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a child process's code lives and how to start Node on it. */
export interface ChildEntry {
  path: string;
  execArgv: string[];
}

/**
 * From source (tests, dev) a child is `<name>.ts` beside the caller, run through tsx; in a build,
 * scripts/build-main.mjs bundles it as `<name>.js` next to the bundle that imports the caller.
 * `callerUrl` is the caller's import.meta.url (empty in the CommonJS Electron bundle, which has __filename).
 */
export function childEntry(name: string, callerUrl: string): ChildEntry {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(callerUrl);
  const source = join(dirname(here), `${name}.ts`);
  if (here.endsWith('.ts') && existsSync(source)) return { path: source, execArgv: ['--import', 'tsx'] };
  return { path: join(dirname(here), `${name}.js`), execArgv: [] };
}
