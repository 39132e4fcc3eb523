// Group-committed outbox writes under kill -9 (issue 32 item 2): a device completing three tasks at once, so its
// results are kept in groups, killed at random steps (lease, run, the group's durable write, submit, epoch) and
// restarted on the same folder; a clean run drains it. Every result the device said it kept is accepted exactly once,
// none is left in the outbox, and the ledger verifies. Real parts: the devnet coordinator, the network client,
// onnxruntime in a child process.
import { killRuns } from '../integration/support/kill-runs.js';
import { clean, type CaseOutcome, type SoakCase } from './case.js';

const RUNS = { fast: 4, full: 20 };
const LOOPS = 3;

export const OUTBOX_CASES: SoakCase[] = [
  {
    name: 'kill -9 while results are group-committed: each kept result accepted exactly once',
    fast: false,
    async run(size): Promise<CaseOutcome> {
      const r = await killRuns(RUNS[size], Date.now(), LOOPS);
      const lost = [...r.finished].filter((taskId) => !r.accepted.has(taskId)).length;
      const doubleCredits = [...r.accepted.values()].filter((times) => times > 1).length;
      const receiptsMissing = [...r.accepted.keys()].filter((taskId) => !r.receipted.has(taskId)).length;
      return {
        outcome:
          `${r.runs} kills (${r.killedAt.join(', ')}, seed ${r.seed}), ${LOOPS} tasks at once: ${r.finished.size} kept, ` +
          `${r.accepted.size} accepted, ${r.duplicates} re-sent and answered duplicate, ${r.drainedQueue} left queued, ` +
          `${r.ledger.problems.length} ledger problems, ${receiptsMissing} receipts missing`,
        ok:
          r.finished.size > 0 &&
          lost === 0 &&
          doubleCredits === 0 &&
          r.drainedQueue === 0 &&
          r.ledger.problems.length === 0 &&
          receiptsMissing === 0,
        ...clean,
        lost,
        doubleCredits,
      };
    },
  },
];
