// Micro-batching through leasing (issue 32): 256 one-row tasks of a [batch,512]x[512,512] MatMul offered at once, as
// a coordinator with work to spare hands them out, leased by the scheduler as it has room and run unbatched
// (maxBatch 1) and at the default maxBatch. Leasing held at most 3 tasks per job host, so no batch was larger, whatever
// maxBatch said (1.13× in issue 32's run).
import { cpus, loadavg } from 'node:os';
import { matMulModel, seededFloats } from '../../main/core/onnx/onnx-model.js';
import { decided, matmulTask, ModelServer, running, testScheduler } from '../helpers/runtime-fixtures.js';

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`,
);
const TASKS = 256;
const DEFAULT_MAX_BATCH = 16;
const server = await new ModelServer().start();
const ref = server.add('dyn', matMulModel({ rows: 'batch', inner: 512, cols: 512 }).bytes);

/**
 * ms per task over TASKS tasks, the most tasks held at once, and the largest batch: the tasks of one job share its
 * time by rows, so one-row tasks of one batch carry the same wall and CPU time, which no two runs measure alike.
 */
async function run(maxBatch: number): Promise<{ ms: number; held: number; largest: number }> {
  const t = await testScheduler({ maxBatch });
  t.scheduler.apply(decided('cpu', running()));
  const one = matmulTask(ref, seededFloats(512, 1), [1, 512]);
  t.source.offer(one); // the host learns the model batches
  await t.outcome(one.id);
  let held = 0;
  t.scheduler.onChange(() => (held = Math.max(held, t.scheduler.snapshot().tasks.length)));
  const tasks = Array.from({ length: TASKS }, () => matmulTask(ref, seededFloats(512, 2), [1, 512]));
  const started = performance.now();
  t.source.offer(...tasks);
  const batches = new Map<string, number>();
  for (const task of tasks) {
    const outcome = await t.outcome(task.id);
    if (outcome.kind !== 'result') throw new Error(`task failed: ${JSON.stringify(outcome)}`);
    const { wallMs, cpuMs } = outcome.result.accounting;
    batches.set(`${wallMs} ${cpuMs}`, (batches.get(`${wallMs} ${cpuMs}`) ?? 0) + 1);
  }
  const ms = (performance.now() - started) / TASKS;
  await t.scheduler.close();
  return { ms, held, largest: Math.max(...batches.values()) };
}

const unbatched = await run(1);
const batched = await run(DEFAULT_MAX_BATCH);
await server.close();
console.log(`micro-batching through leasing (${TASKS} one-row tasks, 512x512 MatMul, 1 thread):`);
console.log(`  unbatched (maxBatch 1): ${unbatched.ms.toFixed(2)} ms/task`);
console.log(
  `  maxBatch ${DEFAULT_MAX_BATCH}: ${batched.ms.toFixed(2)} ms/task, most tasks held ${batched.held}, largest batch ${batched.largest} (reaches maxBatch: ${batched.largest >= DEFAULT_MAX_BATCH ? 'met' : 'NOT met'}), speed-up ${(unbatched.ms / batched.ms).toFixed(2)}x`,
);
