// Builds the bundles in dist/ whose inputs changed since their last build (build-freshness.mjs), so `npm start` and
// `npm run headless` start at once on an unchanged tree. Run as a script, `--all` builds both whatever changed
// (`npm run build`, which the tests and CI run). A bundle that is built says so and why; a current one says nothing.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUNDLES, listFiles, staleReason, writeStamp } from './build-freshness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs one bundle's build in the project root; resolves to its exit code. */
const build = (name) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, BUNDLES[name].command, { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`build: ${name} could not start: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

/** Builds the bundles that are not current (all of them with `all`), at once; resolves to 0 or a failed build's code. */
export async function buildChanged(all = false) {
  const codes = await Promise.all(
    Object.keys(BUNDLES).map(async (name) => {
      // Listed before the build starts: a file saved during it makes the next check build again.
      const inputs = listFiles(root, BUNDLES[name].inputs);
      const reason = all ? 'a full build was asked for' : staleReason(root, name, inputs);
      if (!reason) return 0; // quiet: an instant start prints only the app's own lines
      console.log(`build: building ${name} (${reason})`);
      const code = await build(name);
      if (code === 0) writeStamp(root, name, inputs);
      else console.error(`build: ${name} failed (exit code ${code}); dist/ is not updated for it`);
      return code;
    }),
  );
  return codes.find((code) => code !== 0) ?? 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await buildChanged(process.argv.includes('--all'));
