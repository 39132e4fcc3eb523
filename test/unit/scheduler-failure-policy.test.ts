// The failure policy as a table: each host failure code and task history → what happens to the task.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostFailure } from '../../main/core/runtime/host.js';
import { failureAction, type FailedTask } from '../../main/core/scheduler/failure-policy.js';

const fresh: FailedTask = { cancelled: false, waitedBehind: false, deadlineAhead: true, batched: false, attempts: 0 };
const MAX = 2;

/** [what, failure code, task history, fields the action must have] */
const cases: [string, HostFailure, Partial<FailedTask>, object][] = [
  ['cancelled wins over everything', 'host-crashed', { cancelled: true }, { kind: 'release', reason: 'shutdown', message: 'cancelled' }],
  [
    'waited behind the job that crashed the host: requeued, no attempt counted',
    'host-crashed',
    { waitedBehind: true },
    { kind: 'requeue', attempts: 0 },
  ],
  ['another task of the batch hit its deadline: requeued', 'deadline', { deadlineAhead: true }, { kind: 'requeue', attempts: 0 }],
  ['its own deadline passed: released as deadline', 'deadline', { deadlineAhead: false }, { kind: 'release', reason: 'deadline' }],
  ['bad input in a batch: each runs alone', 'bad-input', { batched: true }, { kind: 'requeue', alone: true, attempts: 0 }],
  ['bad input alone: invalid task', 'bad-input', {}, { kind: 'release', reason: 'invalid-task' }],
  [
    'crash: retried, attempt counted',
    'host-crashed',
    { attempts: 1 },
    { kind: 'requeue', attempts: 2, retryNote: 'retrying (attempt 3) after: boom' },
  ],
  [
    'crash past the retry limit: gives up',
    'timeout',
    { attempts: 2 },
    { kind: 'release', reason: 'runtime-error', message: 'gave up after 3 attempts: boom' },
  ],
  ['preempted: retried without counting', 'preempted', { attempts: 2 }, { kind: 'requeue', attempts: 2 }],
  ['provider unavailable: retried elsewhere without counting', 'provider-unavailable', {}, { kind: 'requeue', attempts: 0 }],
  ['damaged cached model: fetched again', 'model-corrupt', {}, { kind: 'requeue', attempts: 1, redownload: true }],
  [
    'damaged model past the limit: model unavailable',
    'model-corrupt',
    { attempts: 2 },
    { kind: 'release', reason: 'model-unavailable', forgetModel: true },
  ],
  ['invalid model', 'model-invalid', {}, { kind: 'release', reason: 'model-unavailable' }],
  ['paused too long', 'policy-pause', {}, { kind: 'release', reason: 'policy-pause' }],
  ['memory budget', 'memory-budget', {}, { kind: 'release', reason: 'runtime-error' }],
];

for (const [what, code, task, expected] of cases) {
  test(`failure policy: ${what}`, { timeout: 120_000 }, () => {
    const action = failureAction(code, 'boom', { ...fresh, ...task }, MAX);
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(action[key as keyof typeof action], value, `${key} of ${JSON.stringify(action)}`);
  });
}
