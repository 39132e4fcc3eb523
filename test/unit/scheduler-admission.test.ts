// Tasks whose declared needs can never fit here go back at once (no lease held, nothing fetched); ones that may fit
// wait. No task here reaches a job host: the ones kept have a model whose download never finishes.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Task } from '../../main/common/task.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { decided, matmulTask, running, testScheduler, until, type Outcome } from '../helpers/runtime-fixtures.js';

const GiB = 1024 ** 3;
/** Every download from it sends its headers and then nothing, so a task stays held (preparing) until it goes back. */
const requests: string[] = [];
const server = createServer((req, res) => {
  requests.push(req.url ?? '');
  res.writeHead(200, { 'content-length': 64 }).flushHeaders();
});
const model = (name: string): Task['model'] => ({
  url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`,
  sha256: '0'.repeat(64),
  size: 64,
});
before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
after(() => {
  server.closeAllConnections();
  server.close();
});

const task = (memoryEstimateBytes: number, extra: Partial<Task> = {}): Task =>
  matmulTask(model('stalled'), seededFloats(8), [1, 8], { memoryEstimateBytes, ...extra });
const released = (o: Outcome): { reason: string; message: string } => {
  assert.equal(o.kind, 'release', JSON.stringify(o).slice(0, 300));
  return o as Extract<Outcome, { kind: 'release' }>;
};
const held = (t: Awaited<ReturnType<typeof testScheduler>>, id: string) => () =>
  t.scheduler.snapshot().tasks.some((view) => view.id === id);

describe('tasks that can never fit', { timeout: 60_000 }, () => {
  test(
    'a task claiming MAX_SAFE_INTEGER bytes of memory goes back at once, with a plain reason, its model never fetched',
    { timeout: 120_000 },
    async () => {
      const t = await testScheduler();
      t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 4 * GiB })));
      const huge = matmulTask(model('never-fetched'), seededFloats(8), [1, 8], { memoryEstimateBytes: Number.MAX_SAFE_INTEGER });
      t.source.offer(huge);
      const r = released(await t.outcome(huge.id));
      assert.equal(r.reason, 'invalid-task');
      assert.equal(r.message, 'it needs 8,388,608 GiB of memory, and this computer shares at most 4 GiB with the network');
      assert.deepEqual(t.scheduler.snapshot().tasks, [], 'never queued');
      assert.deepEqual(requests, [], 'its model never fetched');
      await t.scheduler.close();
    },
  );

  test('a task that needs the whole budget is kept (it waits for room); one byte more goes back', { timeout: 120_000 }, async () => {
    const t = await testScheduler();
    t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 2 * GiB })));
    const whole = task(2 * GiB);
    const over = task(2 * GiB + 1);
    t.source.offer(whole, over);
    assert.equal(released(await t.outcome(over.id)).reason, 'invalid-task');
    await until(t.scheduler, held(t, whole.id));
    assert.equal(t.outcomes.length, 1, 'the one that fits at best is not given back');
    await t.scheduler.close();
  });

  test(
    'a device the policy has not decided for yet may still take a task; once its budget is known and too small, the task goes back',
    { timeout: 120_000 },
    async () => {
      const t = await testScheduler({
        devices: [
          { id: 'gpu0', kind: 'gpu', providers: ['webgpu'] },
          { id: 'cpu', kind: 'cpu', providers: ['cpu'] },
        ],
      });
      t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 1 * GiB })));
      const big = task(3 * GiB, { device: 'any' });
      t.source.offer(big);
      await until(t.scheduler, held(t, big.id));
      assert.deepEqual(t.outcomes, [], 'kept: the GPU may have room');
      t.scheduler.apply(decided('gpu0', running({ vramBudgetMiB: 2048 })));
      const r = released(await t.outcome(big.id));
      assert.equal(r.reason, 'invalid-task');
      assert.match(r.message, /needs 3 GiB of memory, and this computer shares at most 2 GiB/);
      await t.scheduler.close();
    },
  );

  test('lowering the memory share gives back queued tasks that no longer fit, and keeps the rest', { timeout: 120_000 }, async () => {
    const t = await testScheduler();
    t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 8 * GiB })));
    const large = task(6 * GiB);
    const small = task(1 * GiB);
    t.source.offer(large, small);
    await until(t.scheduler, () => held(t, large.id)() && held(t, small.id)());
    t.scheduler.apply(decided('cpu', running({ memoryBudgetBytes: 2 * GiB })));
    assert.match(released(await t.outcome(large.id)).message, /needs 6 GiB of memory, and this computer shares at most 2 GiB/);
    assert.ok(held(t, small.id)());
    await t.scheduler.close();
  });
});
