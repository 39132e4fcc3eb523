// One device turned off by the user (issue 28, item 6) while another keeps working, on real job hosts: the device
// turned off gives its running task back at once, as turning sharing off does; the other device's task runs on to its
// result (nothing finished is lost), and new work goes to the device still on. The "GPU" lane runs on onnxruntime's
// CPU provider: the scheduler treats it as a GPU lane all the same (lanes are what the policy decides for).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Decision, DeviceDecision } from '../../main/common/policy.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { leftAfter } from '../helpers/processes.js';
import { slowModel } from '../helpers/slow-model.js';
import { decided, matmulTask, ModelServer, running, testScheduler, until, type Outcome } from '../helpers/runtime-fixtures.js';

/** What decide() says of a device: working, or turned off by the user. */
const device = (deviceId: string, off: boolean): DeviceDecision => ({
  ...decided(deviceId, running({ run: !off })).devices[0]!,
  reasons: off ? [{ code: 'DEVICE_DISABLED', message: 'You turned sharing off for the processor.', blocking: true }] : [],
});
const decision = (cpuOff: boolean): Decision => ({ at: 0, devices: [device('gpu0', false), device('cpu', cpuOff)] });
const kind = (outcome: Outcome): string => (outcome.kind === 'release' ? outcome.reason : outcome.kind);

test(
  'the processor turned off gives its task back at once; the GPU finishes its own and takes the next',
  { timeout: 240_000 },
  async () => {
    const server = await new ModelServer().start();
    // Paused this long, a device would give its tasks back anyway: far past the test's time limit.
    const t = await testScheduler({
      maxPauseMs: 60 * 60_000,
      devices: [
        { id: 'gpu0', kind: 'gpu', providers: ['cpu'] },
        { id: 'cpu', kind: 'cpu', providers: ['cpu'] },
      ],
    });
    try {
      t.scheduler.apply(decision(false));
      const ref = server.add('slow', slowModel(64));
      const x = seededFloats(1024 * 512, 5);
      const [first, second, third] = Array.from({ length: 3 }, () => matmulTask(ref, x, [1024, 512], { device: 'any' })) as [
        ReturnType<typeof matmulTask>,
        ReturnType<typeof matmulTask>,
        ReturnType<typeof matmulTask>,
      ];
      t.source.offer(first, second);
      const where = () => new Map(t.scheduler.snapshot().tasks.map((view) => [view.device, view.state]));
      await until(t.scheduler, () => where().get('gpu0') === 'running' && where().get('cpu') === 'running');
      const onCpu = t.scheduler.snapshot().tasks.find((view) => view.device === 'cpu')!.id;
      const onGpu = onCpu === first.id ? second.id : first.id;
      const cpuPids = t.scheduler.snapshot().lanes.find((lane) => lane.id === 'cpu')!.pids;

      t.scheduler.apply(decision(true));
      assert.equal(kind(await t.outcome(onCpu)), 'policy-pause', "the processor's task goes back to the network at once");
      assert.equal(
        t.outcomes.find((outcome) => outcome.kind === 'result'),
        undefined,
        'the GPU task was still running then',
      );
      t.source.offer(third);
      const gpuOutcome = await t.outcome(onGpu);
      assert.equal(kind(gpuOutcome), 'result', "the GPU's task runs on to its result");
      const next = await t.outcome(third.id);
      assert.equal(kind(next), 'result');
      assert.match(next.kind === 'result' ? next.result.accounting.device : '', /^gpu0\//, 'new work runs on the GPU only');
      const cpuLane = t.scheduler.snapshot().lanes.find((lane) => lane.id === 'cpu')!;
      assert.deepEqual([cpuLane.run, cpuLane.pids, cpuLane.finished], [false, [], 0]);
      assert.equal(t.scheduler.snapshot().lanes.find((lane) => lane.id === 'gpu0')!.finished, 2);
      assert.equal((await leftAfter(cpuPids)).left, 0, "the processor's job host is gone");
    } finally {
      await t.scheduler.close();
      await server.close();
    }
  },
);
