// kill -9 soak: 50+ runs of a contributing device killed at random steps (lease, run, durable write, submit,
// receipt, plus 0–3 ms of jitter), then a clean restart. Goal: delivered once / finished = 1.000, ledger verifies.
import { killRuns } from '../integration/support/kill-runs.js';

const runs = Number(process.env['SYNOR_KILL_RUNS'] ?? 50);
const r = await killRuns(runs);
const deliveredOnce = [...r.finished].filter((t) => r.accepted.get(t) === 1).length;
const overAccepted = [...r.accepted.values()].filter((n) => n > 1).length;
const missingReceipts = [...r.accepted.keys()].filter((t) => !r.receipted.has(t)).length;
const steps = new Map<string, number>();
for (const k of r.killedAt) steps.set(k.split('#')[0]!, (steps.get(k.split('#')[0]!) ?? 0) + 1);

console.log(
  `seed ${r.seed}; ${r.runs} kill -9 runs + 1 clean run in ${(r.ms / 1000).toFixed(1)} s (${(r.ms / (r.runs + 1)).toFixed(0)} ms per process life)`,
);
console.log(`kills by step: ${[...steps].map(([s, n]) => `${s} ${n}`).join(', ')}`);
console.log(`finished results ${r.finished.size}, accepted tasks ${r.accepted.size}, re-sends absorbed as duplicates ${r.duplicates}`);
console.log(`torn ledger tails cut on restart ${r.tornTails}; ledger records ${r.ledger.records}, problems ${r.ledger.problems.length}`);
console.log(`delivered exactly once / finished: ${(deliveredOnce / Math.max(1, r.finished.size)).toFixed(3)} (goal 1.000)`);
console.log(
  `accepted more than once: ${overAccepted} (goal 0); accepted without a verified receipt in the ledger: ${missingReceipts} (goal 0)`,
);
console.log(`left in the outbox after the clean run: ${r.drainedQueue} (goal 0)`);
const ok = deliveredOnce === r.finished.size && overAccepted === 0 && missingReceipts === 0 && r.ledger.ok && r.drainedQueue === 0;
if (!ok) {
  console.error('FAILED');
  process.exit(1);
}
