/**
 * Child of orphans.test.ts, in two roles. Started by the test, it is the agent: it forks itself with an IPC channel,
 * as host.ts forks a job host, and stays until killed. Forked, it is a stand-in job host that never asks for the
 * parent-death signal and arms only the JS watchdog (exitWithAgent), its worker thread stuck in a blocking call as in
 * a model run; it prints "host <pid> ready" on the stdout it shares with the agent (the test sees it close when both
 * are gone).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { exitWithAgent } from '../../../main/core/runtime/parent-death.js';

const fifo = process.argv[2]!;
if (process.send === undefined) {
  fork(fileURLToPath(import.meta.url), [fifo], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  setInterval(() => undefined, 60_000);
} else {
  exitWithAgent();
  // Opening a FIFO nobody writes to blocks in native code, as onnxruntime's session.run does.
  const worker = new Worker(
    `require('node:worker_threads').parentPort.postMessage('blocking'); require('node:fs').readFileSync(${JSON.stringify(fifo)});`,
    { eval: true },
  );
  worker.once('message', () => process.stdout.write(`host ${process.pid} ready\n`));
}
