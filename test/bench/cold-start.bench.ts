// Cold start (issue 21): the built headless agent, as `npm run headless` starts it, on a fresh data folder each round:
// the time from starting the process to the link being printed, and from "share on" (with a new wallet and the
// defaults) to the first task running and to the first receipt. A fresh folder is the first start a user sees:
// hardware detection, the CPU benchmark and the local devnet (its chain and model) all start with it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { tempDir } from '../helpers/fakes.js';
import { waitForLine } from '../helpers/headless.js';
import { projectCopy } from '../helpers/project-copy.js';
import { shareNow, startAgent } from '../integration/support/agents.js';

const ROUNDS = 3;
const rows: { linkMs: number; runningMs: number; receiptMs: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  const agent = await startAgent(await tempDir(), ['dist/main/headless.js', '--port', '0']);
  const linkMs = performance.now() - started;
  try {
    await agent.ok('walletCreate', { passphrase: 'cold start bench passphrase' });
    const shared = performance.now();
    await agent.ok('updateSettings', shareNow(null));
    await agent.until((s) => s.work.tasks.some((task) => task.state === 'running'), 'a task running');
    const runningMs = performance.now() - shared;
    await agent.until((s) => (s.work.earned?.receipts ?? 0) > 0, 'a first receipt');
    rows.push({ linkMs, runningMs, receiptMs: performance.now() - shared });
  } finally {
    await agent.stop();
  }
}
const fmt = (values: number[]): string => values.map((v) => `${(v / 1000).toFixed(2)} s`).join(', ');
console.log(`cold start over ${ROUNDS} fresh data folders (built headless agent):`);
console.log(`  start → link printed: ${fmt(rows.map((r) => r.linkMs))}`);
console.log(`  "share on" (new wallet, defaults) → first task running: ${fmt(rows.map((r) => r.runningMs))}`);
console.log(`  "share on" → first receipt: ${fmt(rows.map((r) => r.receiptMs))}`);

// Instant starts (issue 32): `npm run headless` and `npm start` (headless mode here, with no display) on a tree where
// nothing changed since the last build, each from the command to the link printed. They run in a copy of the
// project, so edits in this checkout during the bench do not count as changes. Baseline: the full build both ran first
// before (the copy's first build, timed).
const project = await projectCopy();

/** ms from the npm command to its link, with nothing built; the command and its children are stopped as Ctrl-C does. */
async function commandToLink(args: string[]): Promise<number> {
  const env = { ...process.env, SYNOR_HOME: await tempDir(), DISPLAY: '', WAYLAND_DISPLAY: '' };
  const started = performance.now();
  const child = spawn('npm', args, { cwd: project.root, env, detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForLine(child, /#token=/);
    const ms = performance.now() - started;
    // The copy shares node_modules: an npm install meanwhile is a change, and this figure would not be "nothing changed".
    if (output.includes('build: building')) throw new Error(`something was built on an unchanged tree:\n${output}`);
    return ms;
  } finally {
    const exited = once(child, 'exit');
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  }
}
const GOAL_MS = 3_000;
try {
  const buildStarted = performance.now();
  const build = spawnSync(process.execPath, ['scripts/build-changed.mjs', '--all'], { cwd: project.root, stdio: 'ignore' });
  if (build.status !== 0) throw new Error('the build in the copy of the project failed');
  const fullBuildMs = performance.now() - buildStarted;
  for (const args of [
    ['run', 'headless', '--', '--port', '0'],
    ['start', '--', '--port', '0'],
  ]) {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) times.push(await commandToLink(args));
    const met = Math.max(...times) <= GOAL_MS ? 'met' : 'NOT met';
    console.log(`npm ${args[0] === 'run' ? 'run headless' : 'start'} → link printed, nothing changed: ${fmt(times)} (goal <= 3 s: ${met})`);
  }
  console.log(`  before: a full build first, ${fmt([fullBuildMs])} before the start`);
} finally {
  await project.remove(); // its build records live in the shared node_modules
}
