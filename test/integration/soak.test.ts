// The reliability suite's fast subset (test/soak/cases.ts), as ordinary tests; `npm run soak` runs all at full size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CASES } from '../soak/cases.js';

for (const c of CASES.filter((x) => x.fast)) {
  test(c.name, { timeout: 60_000 }, async (t) => {
    const r = await c.run('fast');
    if (r.skipped) return t.skip(r.skipped);
    assert.ok(r.ok, r.outcome);
    assert.equal(r.lost, 0, 'results lost');
    assert.equal(r.doubleCredits, 0, 'double credits');
    assert.equal(r.leftovers, 0, 'leftovers');
    assert.equal(r.orphans, 0, 'job hosts still running 1 s after their agent');
  });
}
