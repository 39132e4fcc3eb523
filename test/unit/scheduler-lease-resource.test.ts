// Pay is for what ran (docs/protocol.md, "Lease, heartbeat, release"): the scheduler leases GPU work while a GPU lane
// is in service and processor work once none is, and a task runs only on the kind of device it was leased for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerState } from '../../main/core/scheduler/state.js';
import type { DeviceLane } from '../../main/core/scheduler/types.js';
import { fakePorts } from '../helpers/fakes.js';
import { matmulTask, testRuntime } from '../helpers/runtime-fixtures.js';

const gpu: DeviceLane = { id: 'gpu0', kind: 'gpu', providers: ['cuda'] };
const cpu: DeviceLane = { id: 'cpu', kind: 'cpu', providers: ['cpu'] };
const model = { url: 'http://127.0.0.1:1/m.onnx', sha256: 'a'.repeat(64), size: 100 };
const task = (device: 'gpu' | 'cpu' | 'any') => matmulTask(model, new Float32Array(8), [1, 8], { device });

async function stateWith(devices: DeviceLane[]): Promise<SchedulerState> {
  const { clock, logger } = fakePorts();
  // Nothing finishes here: a sink that takes outcomes is all the state needs.
  const sink = { complete: async () => undefined, release: async () => undefined };
  return new SchedulerState({ runtime: await testRuntime(), sink, clock, logger, devices });
}

test('a GPU machine leases GPU work while a GPU lane works, processor work once every one is out', { timeout: 60_000 }, async () => {
  const state = await stateWith([gpu, { ...gpu, id: 'gpu1' }, cpu]);
  const lane = (id: string) => state.lanes.get(id)!; // the lanes made from the devices above
  assert.equal(state.leaseResource(), 'gpu');
  lane('gpu0').broken = 'cuda not usable here';
  assert.equal(state.leaseResource(), 'gpu', 'one GPU lane still works');
  lane('gpu1').broken = 'cuda not usable here';
  assert.equal(state.leaseResource(), 'cpu');
  assert.equal((await stateWith([cpu])).leaseResource(), 'cpu', 'a machine without a GPU lane leases processor work');
});

test('a task runs only on the kind of device it was leased for; one for any device runs on either', { timeout: 60_000 }, async () => {
  const state = await stateWith([gpu, cpu]);
  const [gpuLane, cpuLane] = [state.lanes.get('gpu0')!, state.lanes.get('cpu')!];
  gpuLane.broken = 'cuda not usable here';
  assert.equal(state.fits(cpuLane, task('gpu')), false, 'GPU work is paid as GPU work: never run on the processor');
  assert.equal(state.runnable(task('gpu')), false, 'so it goes back to the network');
  assert.equal(state.fits(cpuLane, task('cpu')), true);
  assert.equal(state.fits(cpuLane, task('any')), true);
  assert.equal(state.fits(gpuLane, task('any')), false, 'not on a lane out of service');
});
