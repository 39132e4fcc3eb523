// How many tasks the scheduler leases (scheduler/lease-room.ts): one a job (a job on each host and PIPELINE_DEPTH − 1
// behind it), or, while every task held is of a model that batches, up to maxBatch a job within the memory the user
// shares. Real scheduler state with tasks held in its queue; nothing here runs a job host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Task } from '../../main/common/task.js';
import { applyDecision } from '../../main/core/scheduler/enforcement.js';
import { leaseRoom } from '../../main/core/scheduler/lease-room.js';
import { PIPELINE_DEPTH, SchedulerState } from '../../main/core/scheduler/state.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { fakePorts } from '../helpers/fakes.js';
import { decided, matmulTask, running, testRuntime, type DeviceLimits } from '../helpers/runtime-fixtures.js';

const MIB = 1024 ** 2;
const batching = { url: 'http://127.0.0.1:1/batching.onnx', sha256: 'a'.repeat(64), size: 100 };
const single = { url: 'http://127.0.0.1:1/single.onnx', sha256: 'b'.repeat(64), size: 100 };

/** Scheduler state for one CPU lane with `limits`, `maxBatch`, and the batching model known to batch. */
async function lane(limits: Partial<DeviceLimits> = {}, maxBatch?: number): Promise<SchedulerState> {
  const ports = fakePorts();
  const state = new SchedulerState({
    runtime: await testRuntime(),
    sink: { complete: () => undefined, release: () => undefined },
    clock: ports.clock,
    logger: ports.logger,
    ...(maxBatch === undefined ? {} : { maxBatch }),
  });
  applyDecision(state, decided('cpu', running(limits)).devices[0]!, new Set());
  state.batchable.set(batching.sha256, true);
  state.batchable.set(single.sha256, false);
  return state;
}

/** Holds `count` one-row tasks (an input of 512 float32s, 2 KiB) of `model`, as leased tasks wait in the queue. */
function hold(state: SchedulerState, count: number, model: Task['model'], memoryEstimateBytes = 0): void {
  for (let i = 0; i < count; i++) {
    const task = matmulTask(model, seededFloats(512, i), [1, 512], { memoryEstimateBytes });
    state.known.add(task.id);
    state.queue.add(task);
  }
}

test('a model that does not batch, or none held yet: one task a job, PIPELINE_DEPTH on one host', { timeout: 60_000 }, async () => {
  const state = await lane();
  assert.equal(leaseRoom(state), PIPELINE_DEPTH, 'nothing held: a task for each job');
  hold(state, 1, single);
  assert.equal(leaseRoom(state), PIPELINE_DEPTH - 1);
  hold(state, PIPELINE_DEPTH - 1, single);
  assert.equal(leaseRoom(state), 0);
});

test('tasks of a model that batches: leasing goes on until every job could be a batch of maxBatch', { timeout: 60_000 }, async () => {
  for (const maxBatch of [16, 32]) {
    const state = await lane({}, maxBatch);
    hold(state, PIPELINE_DEPTH, batching);
    assert.equal(leaseRoom(state), PIPELINE_DEPTH * maxBatch - PIPELINE_DEPTH, `maxBatch ${maxBatch}`);
    hold(state, PIPELINE_DEPTH * maxBatch - PIPELINE_DEPTH, batching);
    assert.equal(leaseRoom(state), 0, `maxBatch ${maxBatch}: full`);
  }
  const off = await lane({}, 1);
  hold(off, 1, batching);
  assert.equal(leaseRoom(off), PIPELINE_DEPTH - 1, 'maxBatch 1: no batches, one task a job');
});

test('one held task of a model that does not batch keeps leasing at one task a job', { timeout: 60_000 }, async () => {
  const state = await lane();
  hold(state, 5, batching);
  hold(state, 1, single);
  assert.ok(leaseRoom(state) <= 0, 'already more than one task a job');
});

test('beyond one task a job, only what fits the memory the user shares is leased', { timeout: 60_000 }, async () => {
  const state = await lane({ memoryBudgetBytes: 1024 * MIB });
  hold(state, PIPELINE_DEPTH, batching, 100 * MIB);
  const room = leaseRoom(state);
  assert.ok(room > 0 && room < PIPELINE_DEPTH * 16 - PIPELINE_DEPTH, `${room} more`);
  hold(state, room, batching, 100 * MIB);
  const heldBytes = state.queue.all().reduce((sum, entry) => sum + entry.task.memoryEstimateBytes + 512 * 4, 0);
  assert.ok(heldBytes <= 1024 * MIB, `${heldBytes / MIB} MiB held of 1024`);
  assert.ok(heldBytes + 100 * MIB > 1024 * MIB, 'one more task of the same size would not fit');
  assert.equal(leaseRoom(state), 0);

  // Tasks larger than the budget together: one task a job still, as before batching counted.
  const tight = await lane({ memoryBudgetBytes: 100 * MIB });
  hold(tight, 1, batching, 200 * MIB);
  assert.equal(leaseRoom(tight), PIPELINE_DEPTH - 1);
});

test('a paused device leases nothing', { timeout: 60_000 }, async () => {
  const state = await lane({ run: false });
  assert.ok(leaseRoom(state) <= 0);
  hold(state, 2, batching);
  assert.ok(leaseRoom(state) <= 0);
});
