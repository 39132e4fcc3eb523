import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerialQueue } from '../../main/common/serial.js';

/** A promise the test settles when it chooses. */
function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { promise, open, fail };
}

test('tasks run one at a time, in the order given', { timeout: 60_000 }, async () => {
  const queue = new SerialQueue();
  const events: string[] = [];
  const first = gate();
  const a = queue.run(async () => {
    events.push('a starts');
    await first.promise;
    events.push('a ends');
    return 'a';
  });
  const b = queue.run(() => {
    events.push('b runs');
    return 'b';
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['a starts'], 'b waits while a is under way');
  first.open();
  assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
  assert.deepEqual(events, ['a starts', 'a ends', 'b runs']);
});

test('a failed task fails only its own caller; the tasks after it run and settle as they do', { timeout: 60_000 }, async () => {
  const queue = new SerialQueue();
  const rejected = queue.run(() => Promise.reject(new Error('disk full')));
  const thrown = queue.run(() => {
    throw new Error('bad input');
  });
  const after = queue.run(async () => 'saved');
  await assert.rejects(rejected, /disk full/);
  await assert.rejects(thrown, /bad input/);
  assert.equal(await after, 'saved', 'the queue goes on after failures');
  assert.equal(await queue.run(() => 42), 42, 'and keeps going');
});

test('idle() waits for every task given, also ones given while it waits, and never rejects', { timeout: 60_000 }, async () => {
  const queue = new SerialQueue();
  await queue.idle(); // an empty queue is idle at once
  const events: string[] = [];
  const first = gate();
  const failing = queue.run(async () => {
    await first.promise;
    events.push('first');
    queue.run(() => void events.push('added by the first')).catch(assert.fail);
    throw new Error('first failed');
  });
  failing.catch(() => undefined);
  const idle = queue.idle().then(() => events.push('idle'));
  first.open();
  await idle;
  assert.deepEqual(events, ['first', 'added by the first', 'idle']);
});
