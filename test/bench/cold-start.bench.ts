// Cold start (issue 21): the built headless agent, as `npm run headless` starts it, on a fresh data folder each round:
// the time from starting the process to the link being printed, and from "share on" (with a new wallet and the
// defaults) to the first task running and to the first receipt. A fresh folder is the first start a user sees:
// hardware detection, the CPU benchmark and the local devnet (its chain and model) all start with it.
import { performance } from 'node:perf_hooks';
import { tempDir } from '../helpers/fakes.js';
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
