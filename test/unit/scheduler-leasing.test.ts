// How the scheduler leases against a coordinator that answers nothing useful: the same task again, nothing at once,
// or nonsense. Time is mocked (node:test's timers for the waits, the fake clock for how long an answer took), so 15 s
// or 5 minutes of leasing take milliseconds; no task here reaches a job host (its model never arrives).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, mock, test } from 'node:test';
import type { Task } from '../../main/common/task.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import type { TaskSource } from '../../main/core/scheduler/scheduler.js';
import { decided, matmulTask, ModelServer, running, testScheduler } from '../helpers/runtime-fixtures.js';

/** Mocked ms since the test began (node:test's timers do not say). */
let now = 0;

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise(setImmediate);
};

/**
 * Runs mocked time forward `ms` in 100 ms steps, letting each step's promises settle; `policyTick` runs every 2.5 s, as
 * the policy loop applies its decision while sharing.
 */
async function run(ms: number, policyTick: () => void = () => undefined): Promise<void> {
  for (let step = 0; step < ms; step += 100) {
    await settle();
    now += 100;
    if (now % 2500 === 0) policyTick();
    mock.timers.tick(100);
  }
  await settle();
}

/** A source that notes when it is asked (mocked ms) and answers its n-th lease (from 1) with `answer(n)`. */
function counting(answer: (n: number) => Promise<readonly Task[]>): TaskSource & { at: number[] } {
  const at: number[] = [];
  return {
    at,
    lease: () => {
      at.push(now);
      return answer(at.length);
    },
  };
}

const gaps = (at: number[]): number[] => at.slice(1).map((t, i) => t - at[i]!);

/** A model whose download sends its headers and then nothing, so a task of it stays held (preparing). */
async function stalledModel(): Promise<{ model: Task['model']; close: () => Promise<void> }> {
  const server = await new ModelServer().start();
  server.stallAfter = 0;
  return { model: server.add('stalled', new Uint8Array(64)), close: () => server.close().then(settle) };
}

describe('leasing back-off', { timeout: 60_000 }, () => {
  // Mocked once for all: a download a test left may clear its timers during the next, which must find them.
  before(() => mock.timers.enable({ apis: ['setTimeout'] }));
  after(() => mock.timers.reset());
  beforeEach(() => void (now = 0));

  test(
    'a coordinator repeating one task id gets few lease requests in 15 s, each wait twice the one before',
    { timeout: 120_000 },
    async () => {
      const stalled = await stalledModel();
      const source = counting(() => Promise.resolve([matmulTask(stalled.model, seededFloats(8), [1, 8], { id: 'the-same-task' })]));
      const t = await testScheduler({ source, random: () => 1 });
      const decision = decided('cpu', running());
      t.scheduler.apply(decision);
      await run(15_000, () => t.scheduler.apply(decision));
      const count = source.at.length;
      console.log(`lease requests in 15 s against a coordinator repeating one task id: ${count} (before the back-off: 76)`);
      assert.ok(count <= 6, `${count} lease requests in 15 s (at ${source.at.join(', ')} ms)`);
      // The first answer brought the task in; each repeat after it doubles the wait (the jitter source says 1: no cut).
      assert.deepEqual(gaps(source.at), [0, 1000, 2000, 4000, 8000]);
      assert.equal(t.scheduler.snapshot().tasks.length, 1, 'the task is held once');
      await t.scheduler.close();
      await stalled.close();
    },
  );

  test(
    'empty answers at once and failed answers back off alike, up to 30 s, with jitter from the injected source',
    { timeout: 120_000 },
    async () => {
      const source = counting((n) => (n % 2 ? Promise.resolve([]) : Promise.reject(new Error('the reply did not match the protocol'))));
      const t = await testScheduler({ source, random: () => 0 });
      t.scheduler.apply(decided('cpu', running()));
      await run(5 * 60_000);
      // "Equal jitter": half the step is fixed, half drawn; a source that draws 0 waits half of each step.
      assert.deepEqual(gaps(source.at).slice(0, 7), [500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
      assert.ok(
        gaps(source.at).every((gap) => gap <= 15_000),
        gaps(source.at).join(','),
      );
      assert.match(t.ports.logger.lines.join('\n'), /lease failed: Error: the reply did not match the protocol/);
      await t.scheduler.close();
    },
  );

  test('an answer that brings a task in resets the back-off: the next lease goes out at once', { timeout: 120_000 }, async () => {
    const stalled = await stalledModel();
    const repeat = matmulTask(stalled.model, seededFloats(8), [1, 8], { id: 'repeated' });
    // The repeat four times (the first brings it in), then a new task, then the repeat again.
    const source = counting((n) => Promise.resolve([n === 5 ? matmulTask(stalled.model, seededFloats(8), [1, 8], { id: 'new' }) : repeat]));
    const t = await testScheduler({ source, random: () => 1 });
    t.scheduler.apply(decided('cpu', running()));
    await run(20_000);
    assert.deepEqual(gaps(source.at).slice(0, 6), [0, 1000, 2000, 4000, 0, 1000]);
    await t.scheduler.close();
    await stalled.close();
  });

  test(
    "a long-poll's own wait counts toward the back-off: an empty answer after 25 s is asked again at once",
    { timeout: 120_000 },
    async () => {
      const source = counting(() => {
        t.ports.clock.time += 25_000; // the coordinator held the request that long before saying it had nothing
        return Promise.resolve([]);
      });
      const t = await testScheduler({ source, random: () => 1 });
      t.scheduler.apply(decided('cpu', running()));
      await run(20_000);
      // Waits of 1, 2, 4, 8 and 16 s are all inside the 25 s the answer took; 30 s leaves 5 s more.
      assert.deepEqual(gaps(source.at).slice(0, 7), [0, 0, 0, 0, 0, 5000, 5000]);
      await t.scheduler.close();
    },
  );
});
