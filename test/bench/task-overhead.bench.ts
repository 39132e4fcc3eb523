// Per-task overhead budget (issue 21): the agent's CPU per task whose output is 4 MB (a 1024×1024 MatMul), all the
// way from the lease to the coordinator's acknowledgement, and the warm per-task overhead of a tiny model. The agent's
// CPU is this process's: the scheduler, the runtime and the network client run here as in the agent, the job host and
// the devnet coordinator (a process of its own, `npm run devnet` with every result paid unverified) do not.
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DevnetReadySchema } from '../../main/common/devnet.js';
import type { Task } from '../../main/common/task.js';
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { matMulModel, seededFloats } from '../../main/core/onnx/onnx-model.js';
import type { ResultSink, TaskSource } from '../../main/core/scheduler/types.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { testDevice } from '../integration/support/network.js';
import { decided, matmulTask, ModelServer, running, testScheduler, until } from '../helpers/runtime-fixtures.js';

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`,
);
const fmt = (n: number, d = 2): string => n.toFixed(d);
const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
const split = (c: { user: number; kernel: number }): string =>
  `${fmt(c.user + c.kernel)} ms (${fmt(c.user)} user, ${fmt(c.kernel)} kernel)`;

/** The devnet on its own, as `npm run devnet` starts it, paying every result unverified (none is recomputed). */
async function devnet(): Promise<{ url: string; stop(): void }> {
  const entry = fileURLToPath(new URL('../../main/devnet/standalone.ts', import.meta.url));
  const child = fork(entry, ['--port', '0', '--data', await tempDir(), '--verify-rate', '0'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = DevnetReadySchema.parse(await new Promise((resolve) => child.once('message', resolve)));
  return { url: ready.url, stop: () => child.kill('SIGTERM') };
}

const server = await new ModelServer().start();
const big = matMulModel({ rows: 1024, inner: 1024, cols: 1024 });
const ref = server.add('matmul-1024', big.bytes);
// One parsed task whose input every task shares, as the network client hands over parsed tasks.
const proto = matmulTask(ref, seededFloats(1024 * 1024, 3), [1024, 1024]);

/** Agent CPU per task over `count` tasks after `warm` ones, while `source` feeds the scheduler and `sink` takes results. */
async function cpuPerTask(
  source: TaskSource,
  sink: ResultSink,
  done: () => number,
  warm: number,
  count: number,
): Promise<{ user: number; kernel: number }> {
  const t = await testScheduler({ source, sink, leaseRetryMs: 5 });
  t.scheduler.apply(decided('cpu', running({ threads: 1 })));
  // Tasks keep finishing, so the scheduler keeps changing: each change checks the count again.
  await until(t.scheduler, () => done() >= warm);
  const before = process.cpuUsage();
  await until(t.scheduler, () => done() >= warm + count);
  const used = process.cpuUsage(before);
  await t.scheduler.close();
  return { user: used.user / 1000 / count, kernel: used.system / 1000 / count };
}

// 1. The whole path: leased from the devnet coordinator over HTTP (its own small task, whose id the MatMul takes
// over), run in the job host, kept in the outbox (fsynced), submitted as a frame, and its receipts fetched and checked.
const coordinator = await devnet();
const { client } = await testDevice(coordinator.url, { leaseWaitMs: 2_000, logger: new MemoryLogger() });
await client.connect();
client.start();
const link = linkScheduler(client, new MemoryLogger());
let submitted = 0;
client.subscribe((e) => void (e.type === 'submitted' && submitted++));
const fromDevnet: TaskSource = {
  lease: async (slots, resource) =>
    (await link.source.lease(slots, resource)).map((task): Task => ({ ...proto, id: task.id, deadline: task.deadline })),
};
const whole = await cpuPerTask(fromDevnet, link.sink, () => submitted, 3, 30);
await client.close();
coordinator.stop();

// 2. The same tasks without a network: offered in-process, each result dropped once delivered.
let n = 0;
let delivered = 0;
const local: TaskSource = { lease: (slots) => Promise.resolve(Array.from({ length: slots }, () => ({ ...proto, id: `local-${++n}` }))) };
const runtimeOnly = await cpuPerTask(local, { complete: () => void delivered++, release: () => undefined }, () => delivered, 3, 30);

console.log('agent CPU per task with a 4 MB output (1024x1024 MatMul, 4 MB input inline, 1 thread, 30 tasks):');
const total = whole.user + whole.kernel;
console.log(`  whole path (lease → run → outbox → submit → receipts): ${split(whole)} (goal <= 2 ms: ${verdict(total <= 2)})`);
console.log(`    scheduler and runtime alone (input decoding, job-host frames; no network): ${split(runtimeOnly)}`);
console.log(
  `    so the network client's share (lease reply, outbox write + fsync, read back, submit, remove, receipts): ${fmt(total - runtimeOnly.user - runtimeOnly.kernel)} ms`,
);

// 3. Warm per-task overhead: a tiny model, one task at a time.
const tiny = matMulModel({ rows: 1, inner: 8, cols: 5 });
const tinyRef = server.add('tiny', tiny.bytes);
{
  const t = await testScheduler();
  t.scheduler.apply(decided('cpu', running()));
  const once = async (): Promise<number> => {
    const task = matmulTask(tinyRef, seededFloats(8), [1, 8]);
    const started = performance.now();
    t.source.offer(task);
    await t.outcome(task.id);
    return performance.now() - started;
  };
  await once();
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) samples.push(await once());
  await t.scheduler.close();
  samples.sort((a, b) => a - b);
  const p50 = samples[100]!;
  console.log(
    `warm per-task overhead (tiny MatMul, one at a time, 200 tasks): p50 ${fmt(p50)} ms (goal <= 0.5 ms: ${verdict(p50 <= 0.5)}), p99 ${fmt(samples[197]!)} ms`,
  );
}
await server.close();
