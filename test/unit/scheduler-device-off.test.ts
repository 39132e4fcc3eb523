// A device the user turned off (issue 28, item 6) takes no work: the scheduler leases only for the devices still in
// service, and GPU work only while a GPU is, so a processor left working is paid for processor work. State only: no
// job host runs here (the running task's give-back is in test/e2e/device-control.test.ts, on the real agent).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceDecision, ReasonCode } from '../../main/common/policy.js';
import { releaseWhilePaused } from '../../main/core/scheduler/admission.js';
import { applyDecision } from '../../main/core/scheduler/enforcement.js';
import { leaseRoom } from '../../main/core/scheduler/lease-room.js';
import { PIPELINE_DEPTH, SchedulerState } from '../../main/core/scheduler/state.js';
import type { DeviceLane } from '../../main/core/scheduler/types.js';
import { fakePorts } from '../helpers/fakes.js';
import { matmulTask, testRuntime } from '../helpers/runtime-fixtures.js';

const gpu: DeviceLane = { id: 'gpu0', kind: 'gpu', providers: ['cuda'] };
const cpu: DeviceLane = { id: 'cpu', kind: 'cpu', providers: ['cpu'] };
const model = { url: 'http://127.0.0.1:1/m.onnx', sha256: 'a'.repeat(64), size: 100 };

async function stateWith(devices: DeviceLane[]) {
  const { clock, logger } = fakePorts();
  const released: string[] = [];
  const sink = { complete: async () => undefined, release: async (taskId: string) => void released.push(taskId) };
  const state = new SchedulerState({ runtime: await testRuntime(), sink, clock, logger, devices });
  const decide = (lane: DeviceLane, blocking: ReasonCode | null): void => {
    const device: DeviceDecision = {
      deviceId: lane.id,
      kind: lane.kind,
      run: blocking === null,
      limits: { threads: 1, dutyCycle: 1, memoryBudgetBytes: 1024 ** 3, vramBudgetMiB: 1024, priority: 'idle' },
      reasons: blocking === null ? [] : [{ code: blocking, message: 'test', blocking: true }],
    };
    applyDecision(state, device, new Set());
  };
  return { state, decide, released };
}

test(
  'every GPU turned off by the user: the processor leases processor work; a GPU paused for heat still counts',
  { timeout: 60_000 },
  async () => {
    const { state, decide } = await stateWith([gpu, { ...gpu, id: 'gpu1' }, cpu]);
    const [gpu0, gpu1] = [gpu, { ...gpu, id: 'gpu1' }];
    decide(cpu, null);
    decide(gpu0, 'DEVICE_DISABLED');
    decide(gpu1, null);
    assert.equal(state.leaseResource(), 'gpu', 'the other GPU still works');
    decide(gpu1, 'GPU_HOT');
    assert.equal(state.leaseResource(), 'gpu', 'a hot GPU is back in minutes: its work is still wanted');
    decide(gpu1, 'SHARE_ZERO');
    assert.equal(state.leaseResource(), 'cpu', 'no GPU the user lets work: the processor is paid for what it runs');
    decide(gpu0, null);
    assert.equal(state.leaseResource(), 'gpu');
  },
);

test(
  'the processor turned off while a GPU works: room only for the GPU, and no lease at all once both are off',
  { timeout: 60_000 },
  async () => {
    const { state, decide } = await stateWith([gpu, cpu]);
    decide(gpu, null);
    decide(cpu, null);
    assert.equal(leaseRoom(state), 2 * PIPELINE_DEPTH);
    decide(cpu, 'DEVICE_DISABLED');
    assert.equal(leaseRoom(state), PIPELINE_DEPTH, "the GPU's jobs only");
    decide(gpu, 'DEVICE_DISABLED');
    assert.equal(leaseRoom(state), 0);
  },
);

test('GPU work queued for a GPU the user turns off goes back to the network; work any device runs stays', { timeout: 60_000 }, async () => {
  const { state, decide, released } = await stateWith([gpu, cpu]);
  decide(gpu, null);
  decide(cpu, null);
  // Queued as admission queues them, without preparing (that would download the model).
  for (const task of [
    matmulTask(model, new Float32Array(8), [1, 8], { id: 'for-gpu', device: 'gpu' }),
    matmulTask(model, new Float32Array(8), [1, 8], { id: 'for-any', device: 'any' }),
  ]) {
    state.known.add(task.id);
    state.queue.add(task);
  }
  decide(gpu, 'DEVICE_DISABLED');
  releaseWhilePaused(state);
  await new Promise(setImmediate); // the sink hears of it asynchronously
  assert.deepEqual(released, ['for-gpu']);
  assert.deepEqual(
    state.queue.all().map((entry) => entry.task.id),
    ['for-any'],
  );
});
