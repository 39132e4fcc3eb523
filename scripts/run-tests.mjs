// Runs every *.test.ts under test/ with node's test runner (Node 20 has no glob support of its own), in two phases:
// unit and integration files two at a time (the machines we run on have 2 cores), a unit test failing if it starts
// any process (test/helpers/no-processes.mjs); then the e2e files one at a time: they start the built
// agent, a browser or a devnet each, and measure what the user would see, so they run alone. Every test has its own
// time limit (lint requires one); each file also has one, so a hung file fails the run instead of hanging it.
// `node scripts/run-tests.mjs [filter]` runs only files whose path contains `filter`.
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
const serial = (file) => file.startsWith(join('test', 'e2e'));

// test/helpers/no-processes.mjs makes starting a process fail a unit test (it acts in test/unit/ files only).
const phases = [
  {
    files: files.filter((file) => !serial(file)),
    concurrency: Math.max(1, Math.min(2, availableParallelism())),
    imports: ['./test/helpers/no-processes.mjs'],
  },
  { files: files.filter(serial), concurrency: 1, imports: [] },
];
let status = 0;
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  const args = [
    ...phase.imports.flatMap((file) => ['--import', file]),
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    `--test-concurrency=${phase.concurrency}`,
  ];
  const result = spawnSync(process.execPath, [...args, ...phase.files], { stdio: 'inherit' });
  // Every phase runs even when one fails: one report shows every failure.
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
