// Runs every *.test.ts under test/ with node's test runner (Node 20 has no glob support of its own), one file more at
// a time than the machine has cores, up to 3: unit, integration and e2e files in one pool, so the e2e files' waits
// (a devnet's epochs, a page settling) overlap other files' work instead of leaving a core idle; every file starts
// its own agent, devnet and browser on free ports in its own folders, so none depends on another or on the order.
// A unit test fails if it starts any process (test/helpers/no-processes.mjs, acting in unit files only). Every
// test has its own time limit (lint requires one); each file also has one, so a hung file fails the run instead of
// hanging it, and what the file started is stopped with it (test/helpers/stop-children.mjs).
// `node scripts/run-tests.mjs [--beside-hog] [filter]` runs only files whose path contains `filter`; `--beside-hog`
// runs them beside a CPU hog that keeps every core busy (one spinning process per core, at the same priority as the
// tests), as a loaded machine would: the suite must hold there too.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const FILE_TIMEOUT_MS = 600_000;
const besideHog = process.argv.includes('--beside-hog');
const filter = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const found = readdirSync('test', { recursive: true })
  .map((file) => join('test', String(file)))
  .filter((file) => file.endsWith('.test.ts') && (!filter || file.includes(filter)))
  .sort();
// The whole suite runs the unit files in one process (test/all-unit-files.ts says why).
const UNIT = join('test', 'unit');
const files = filter ? found : [join('test', 'all-unit-files.ts'), ...found.filter((file) => !file.startsWith(UNIT))];
// Given no files, node's runner would look for tests on its own (and find the fixtures).
if (files.length === 0) {
  console.error(`No test file's path contains "${filter}".`);
  process.exit(1);
}

// A hog spins, and ends itself should this runner be killed before it can stop it (it is then re-parented).
const HOG = 'const parent = process.ppid; for (let i = 1; ; i++) if (i % 5e7 === 0 && process.ppid !== parent) process.exit();';
const hogs = besideHog
  ? Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', HOG], { stdio: 'ignore' }))
  : [];
if (besideHog) console.log(`Running ${files.length} test files beside a CPU hog: ${hogs.length} spinning processes, one per core.`);

const args = [
  '--import',
  './test/helpers/no-processes.mjs',
  '--import',
  './test/helpers/stop-children.mjs',
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-timeout=${FILE_TIMEOUT_MS}`,
  `--test-concurrency=${Math.min(3, availableParallelism() + 1)}`,
];
const started = Date.now();
const run = spawn(process.execPath, [...args, ...files], { stdio: 'inherit' });
// Stopping this runner stops the run, not only the runner: node's runner passes the signal on to each file, and each
// file to what it started (test/helpers/stop-children.mjs).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => run.kill(signal));
const [status] = await once(run, 'exit');
for (const hog of hogs) hog.kill('SIGKILL');
console.log(`Test files took ${Math.round((Date.now() - started) / 1000)} s${besideHog ? ' beside the CPU hog' : ''}.`);
process.exit(status ?? 1);
