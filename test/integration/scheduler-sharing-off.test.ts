// Sharing turned off gives back every task the device holds at once: the running one and the ones waiting behind it
// on its job host, not after maxPauseMs (an hour here). A give-back to the user at the keyboard only stops them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leftAfter } from '../helpers/processes.js';
import { sharingOff } from '../helpers/sharing-off.js';

for (const [code, what] of [
  ['SHARING_OFF', 'sharing off'],
  ['PAUSED_UNTIL', 'a pause the user asked for'],
] as const)
  test(
    `${what} releases the running task and those waiting behind it at once; a give-back only stops them`,
    { timeout: 240_000 },
    async () => {
      const r = await sharingOff(code);
      assert.deepEqual(r.atKeyboard, ['suspended', 'queued', 'queued'], 'held, stopped, for a moment of the user');
      assert.equal(r.givenBackAtKeyboard, 0);
      assert.deepEqual(r.outcomes, ['policy-pause', 'policy-pause', 'policy-pause']);
      assert.equal(r.heldAfter, 0);
      console.log(`tasks held after ${what}: ${r.heldAfter}; all ${r.outcomes.length} given back in ${r.ms.toFixed(0)} ms`);
      assert.equal((await leftAfter(r.pids)).left, 0, 'its job host is gone');
    },
  );
