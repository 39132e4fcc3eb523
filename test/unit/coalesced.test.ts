import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesced } from '../../main/common/serial.js';

/** A job whose runs finish when the test says, each reporting the items it saw when it started. */
function gatedWork(items: string[]) {
  const gates: (() => void)[] = [];
  let runs = 0;
  const work = coalesced(async () => {
    runs++;
    const seen = [...items];
    await new Promise<void>((resolve) => gates.push(resolve));
    if (seen.includes('bad')) throw new Error('failed run');
    return seen;
  });
  return { work, open: () => gates.shift()!(), runs: () => runs, waiting: () => gates.length };
}

test('a call while a run is in progress gets a fresh run after it, shared by every call meanwhile', { timeout: 120_000 }, async () => {
  const items = ['a'];
  const w = gatedWork(items);
  const first = w.work();
  items.push('b'); // written while the first run is under way
  const second = w.work();
  const third = w.work();
  assert.equal(second, third, 'calls during one run share the next');
  assert.equal(w.runs(), 1, 'the next run waits for the current one');
  w.open();
  assert.deepEqual(await first, ['a']);
  while (w.waiting() === 0) await new Promise((r) => setImmediate(r)); // the next run has reached its gate
  assert.equal(w.runs(), 2);
  w.open();
  assert.deepEqual(await second, ['a', 'b'], 'the later callers see what was written before their call');
  const idle = w.work();
  assert.notEqual(idle, second, 'with nothing running, a call starts a run at once');
  assert.equal(w.runs(), 3);
  const settled = w.work.idle();
  w.open();
  await settled;
  assert.equal(w.waiting(), 0);
  await idle;
});

test('a failed run does not stop the next one', { timeout: 120_000 }, async () => {
  const items = ['bad'];
  const w = gatedWork(items);
  const first = w.work();
  items.length = 0;
  items.push('ok');
  const second = w.work();
  w.open();
  await assert.rejects(first, /failed run/);
  while (w.waiting() === 0) await new Promise((r) => setImmediate(r));
  w.open();
  assert.deepEqual(await second, ['ok']);
});
