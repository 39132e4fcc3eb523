// Per-device control under churn (issue 28, item 6): the processor switched off and on again and again while a second
// device keeps working. Every task ends exactly once, with its result or given back with a reason; no job host is left.
import type { Decision, DeviceDecision } from '../../main/common/policy.js';
import { matMulModel, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { leftAfter } from '../helpers/processes.js';
import { decided, matmulTask, ModelServer, running, testScheduler, until, type Outcome } from '../helpers/runtime-fixtures.js';
import { clean, type SoakCase } from './case.js';

const device = (deviceId: string, off: boolean): DeviceDecision => ({
  ...decided(deviceId, running({ run: !off })).devices[0]!,
  reasons: off ? [{ code: 'DEVICE_DISABLED', message: 'You turned sharing off for the processor.', blocking: true }] : [],
});
const decision = (cpuOff: boolean): Decision => ({ at: 0, devices: [device('gpu0', false), device('cpu', cpuOff)] });
const idOf = (outcome: Outcome): string => (outcome.kind === 'result' ? outcome.result.taskId : outcome.taskId);

export const DEVICE_CASES: SoakCase[] = [
  {
    name: 'the processor switched off and on while another device works: every task ends once, none lost',
    // About 20 s for 60 tasks on a loaded 2-core machine: too long for npm test.
    fast: false,
    run: async (size) => {
      const tasks = size === 'fast' ? 60 : 300;
      const server = await new ModelServer().start();
      const t = await testScheduler({
        devices: [
          { id: 'gpu0', kind: 'gpu', providers: ['cpu'] },
          { id: 'cpu', kind: 'cpu', providers: ['cpu'] },
        ],
      });
      const pids = new Set<number>();
      const remember = t.scheduler.onChange(() =>
        t.scheduler.snapshot().lanes.forEach((lane) => lane.pids.forEach((pid) => pids.add(pid))),
      );
      let switches = 0;
      try {
        t.scheduler.apply(decision(false));
        const ref = server.add('mm', matMulModel({ rows: 'batch', inner: 64, cols: 64 }).bytes);
        const offered = Array.from({ length: tasks }, (_, i) => matmulTask(ref, seededFloats(64 * 64, i), [64, 64], { device: 'any' }));
        t.source.offer(...offered);
        // Every second task that ends switches the processor, the other way.
        for (let ended = 2; ended < tasks; ended += 2) {
          await until(t.scheduler, () => t.outcomes.length >= ended);
          t.scheduler.apply(decision(++switches % 2 === 1));
        }
        t.scheduler.apply(decision(false));
        await Promise.all(offered.map((task) => t.outcome(task.id)));
      } finally {
        remember();
        await t.scheduler.close();
        await server.close();
      }
      const counts = new Map<string, number>();
      for (const outcome of t.outcomes) counts.set(idOf(outcome), (counts.get(idOf(outcome)) ?? 0) + 1);
      const twice = [...counts.values()].filter((n) => n > 1).length;
      const results = t.outcomes.filter((outcome) => outcome.kind === 'result').length;
      const reasons = [...new Set(t.outcomes.flatMap((outcome) => (outcome.kind === 'release' ? [outcome.reason] : [])))];
      const { left } = await leftAfter([...pids]);
      return {
        ...clean,
        lost: tasks - counts.size,
        doubleCredits: twice,
        orphans: left,
        ok: counts.size === tasks && twice === 0 && left === 0 && reasons.every((reason) => reason === 'policy-pause'),
        outcome: `${switches} switches of the processor: ${tasks} tasks, ${results} results, ${tasks - results} given back (${reasons.join(', ') || 'none'}), ${twice} ended twice, ${left} job hosts left`,
      };
    },
  },
];
