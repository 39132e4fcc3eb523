// Tasks held on a job host (one running, the rest sent behind it) when the user's own pause, then sharing off, come:
// shared by the sharing-off integration test, which asserts on it, and the soak case, which reports it.
import type { Decision, ReasonCode } from '../../main/common/policy.js';
import { seededFloats } from '../../main/core/onnx/onnx-model.js';
import { PIPELINE_DEPTH } from '../../main/core/scheduler/state.js';
import { decided, matmulTask, ModelServer, running, testScheduler, until, type Outcome } from './runtime-fixtures.js';
import { slowModel } from './slow-model.js';

/** The CPU paused by the policy for `code`, as decide() says it. */
const pausedFor = (code: ReasonCode): Decision => {
  const decision = decided('cpu', running({ run: false }));
  decision.devices[0]!.reasons = [{ code, message: `paused (${code})`, blocking: true }];
  return decision;
};

export interface SharingOff {
  /** Task states right after the user came to the keyboard (a give-back in milliseconds). */
  atKeyboard: string[];
  /** Tasks given back by then. */
  givenBackAtKeyboard: number;
  /** Each held task's outcome once sharing was turned off: a release reason, or 'result'. */
  outcomes: string[];
  /** Tasks the scheduler still held once all of them were given back. */
  heldAfter: number;
  /** From turning sharing off until the last one was given back. */
  ms: number;
  /** The job hosts that ran them. */
  pids: number[];
}

/** `off`: how the user turned it off (sharing off, or a pause they asked for). */
export async function sharingOff(off: ReasonCode = 'SHARING_OFF'): Promise<SharingOff> {
  const server = await new ModelServer().start();
  // Paused this long, the device would give its tasks back anyway: far past any test's time limit.
  const t = await testScheduler({ maxPauseMs: 60 * 60_000 });
  try {
    t.scheduler.apply(decided('cpu', running()));
    const x = seededFloats(1024 * 512, 5);
    const ref = server.add('slow', slowModel(64));
    const tasks = Array.from({ length: PIPELINE_DEPTH }, () => matmulTask(ref, x, [1024, 512]));
    t.source.offer(...tasks);
    const states = (): string[] => t.scheduler.snapshot().tasks.map((view) => view.state);
    // One running, the others sent to its job host behind it (the same model pipelines): all held on the host.
    const held = ['running', ...Array<string>(PIPELINE_DEPTH - 1).fill('queued')].join();
    await until(t.scheduler, () => states().join() === held);
    const pids = t.scheduler.snapshot().lanes.flatMap((lane) => lane.pids);

    t.scheduler.apply(pausedFor('USER_BUSY'));
    const atKeyboard = states();
    const givenBackAtKeyboard = t.outcomes.length;
    t.scheduler.apply(decided('cpu', running()));
    await until(t.scheduler, () => states()[0] === 'running');

    const turnedOff = performance.now();
    t.scheduler.apply(pausedFor(off));
    const outcomes = await Promise.all(tasks.map((task) => t.outcome(task.id)));
    const ms = performance.now() - turnedOff;
    const reason = (o: Outcome): string => (o.kind === 'release' ? o.reason : o.kind);
    return { atKeyboard, givenBackAtKeyboard, outcomes: outcomes.map(reason), heldAfter: t.scheduler.snapshot().tasks.length, ms, pids };
  } finally {
    await t.scheduler.close();
    await server.close();
  }
}
