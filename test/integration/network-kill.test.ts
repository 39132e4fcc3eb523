// kill -9 of a contributing device at random steps (lease, run, durable write, submit, receipts' epoch): every finished result
// is submitted exactly once in the end and the ledger verifies. A few runs here; test/bench/network-kill.bench.ts does 50+.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killRuns, type KillReport } from './support/kill-runs.js';

export function assertKillOutcome(r: KillReport): void {
  for (const taskId of r.finished) assert.equal(r.accepted.get(taskId), 1, `finished task ${taskId} accepted exactly once`);
  for (const [taskId, times] of r.accepted) assert.equal(times, 1, `task ${taskId} accepted ${times} times`);
  assert.equal(r.drainedQueue, 0, 'nothing left in the outbox');
  assert.deepEqual(r.ledger.problems, []);
  assert.deepEqual([...r.receipted].sort(), [...r.accepted.keys()].sort(), 'a verified receipt in the ledger for every accepted result');
}

test(
  'kill -9 at random steps, then a clean restart: every finished result is submitted exactly once, the ledger verifies',
  { timeout: 300_000 },
  async () => {
    const report = await killRuns(4);
    assertKillOutcome(report);
    assert.ok(report.finished.size > 0);
  },
);
