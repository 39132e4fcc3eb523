// docs/protocol-vectors.json checked by a verifier written from docs/protocol.md with Python's standard library alone
// (test/fixtures/verify-receipts.py with eip712.py: its own keccak, secp256k1 recovery, typed-data hashing and RFC 6962
// tree), so the vectors do not only agree with the code that made them. A process of its own, so not a unit test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('an independent Python verifier agrees with every protocol vector', { timeout: 120_000 }, () => {
  const run = spawnSync('python3', ['test/fixtures/verify-receipts.py', '--vectors', 'docs/protocol-vectors.json'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    /checked 7 leaves, 7 trees, 3 epochs, 2 vouchers, 2 registrations, 2 delegations, 1 revocations, 1 delegatedRegistrations, 28 proofs: 0 problems/,
  );
});
