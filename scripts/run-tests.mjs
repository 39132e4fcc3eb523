// Runs every *.test.ts under test/ with node's test runner (Node 20 has no glob support of its own), in two phases:
// unit and integration files two at a time (the machines we run on have 2 cores), then the e2e files one at a time:
// they start the built agent, a browser or a devnet each, and measure what the user would see, so they run alone.
// Every test file has a time limit, so a hung test fails the run instead of hanging it. Node 20's --test-timeout
// bounds each file as a whole (the runner treats a file as one test), not each test in it: the limit must fit the
// slowest file on a loaded machine (the scheduler tests take ~95 s alone, ~3x that while the team's jobs run).
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

const phases = [
  { files: files.filter((file) => !serial(file)), concurrency: Math.max(1, Math.min(2, availableParallelism())) },
  { files: files.filter(serial), concurrency: 1 },
];
let status = 0;
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    `--test-concurrency=${phase.concurrency}`,
  ];
  const result = spawnSync(process.execPath, [...args, ...phase.files], { stdio: 'inherit' });
  // Both phases run even when the first fails: one report shows every failure.
  if (result.status !== 0) status = result.status ?? 1;
}
process.exit(status);
