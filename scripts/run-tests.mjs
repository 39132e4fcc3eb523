// Runs every *.test.ts under test/ with node's test runner (Node 20 has no glob support of its own), two files at a
// time (the machines we run on have 2 cores): unit, integration and e2e files in one pool, so the e2e files' waits
// (a devnet's epochs, a page settling) overlap other files' work instead of leaving a core idle; every file starts
// its own agent, devnet and browser on free ports in its own folders, so none depends on another or on the order.
// A unit test fails if it starts any process (test/helpers/no-processes.mjs, acting in test/unit/ files only). Every
// test has its own time limit (lint requires one); each file also has one, so a hung file fails the run instead of
// hanging it. `node scripts/run-tests.mjs [filter]` runs only files whose path contains `filter`.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const FILE_TIMEOUT_MS = 600_000;
const filter = process.argv[2];
const files = readdirSync('test', { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.test.ts') && (!filter || file.includes(filter)))
  .map((file) => join('test', file))
  .sort();

const args = [
  '--import',
  './test/helpers/no-processes.mjs',
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-timeout=${FILE_TIMEOUT_MS}`,
  `--test-concurrency=${Math.max(1, Math.min(2, availableParallelism()))}`,
];
const result = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
