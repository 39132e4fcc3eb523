// `npm start`: builds what changed since the last build, then the desktop app where Electron can run, otherwise
// headless mode with the UI in a browser.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildChanged } from './build-changed.mjs';
import { findElectron } from './launcher.mjs';

/** An Electron that dies this soon after launch never showed its window (missing libraries, GPU, sandbox…). */
const EARLY_EXIT_MS = 5_000;
const root = fileURLToPath(new URL('..', import.meta.url));

const headless = (reason) => {
  console.log(`Electron app unavailable: ${reason}. Starting headless mode instead.`);
  return import('../dist/main/headless.js');
};

const built = await buildChanged();
if (built !== 0) process.exit(built);
const found = await findElectron({ electronDir: fileURLToPath(new URL('../node_modules/electron', import.meta.url)) });
if ('reason' in found) {
  await headless(found.reason);
} else {
  const startedAt = Date.now();
  const child = spawn(found.binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('error', (error) => void headless(`Electron could not start (${error.message})`));
  child.on('exit', (code, signal) => {
    if (code !== 0 && Date.now() - startedAt < EARLY_EXIT_MS) {
      void headless(`Electron exited at start (${signal ?? `code ${code}`})`);
    } else process.exit(code ?? 0);
  });
}
