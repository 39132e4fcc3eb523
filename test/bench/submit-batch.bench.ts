// Batched submits (issue 32 item 2): the agent's CPU per result when 16 small results are waiting to be sent at once
// (a micro-batch ended), sent one request each (a coordinator without batches, as before) and in one batched request.
// The agent's CPU is this process's (the network client and its outbox); the coordinator runs in a process of its own.
// Printed: CPU per result for the sending alone (the flush) and for keeping and sending (complete + flush).
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TaskResult } from '../../main/common/task.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`,
);
const AT_ONCE = 16;
const WARM = 2;
const ROUNDS = 10;

/** The coordinator in a child process, taking batches of up to `maxBatch` results (0: single submits only). */
async function coordinator(maxBatch: number): Promise<{ url: string; stop(): void }> {
  const entry = fileURLToPath(new URL('./submit-batch-coordinator.ts', import.meta.url));
  const child = fork(entry, [String(maxBatch)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise((resolve) => child.once('message', resolve));
  if (typeof url !== 'string') throw new Error('the coordinator did not say its address');
  return { url, stop: () => child.disconnect() };
}

const ms = (used: NodeJS.CpuUsage): number => (used.user + used.system) / 1000;

/** CPU (ms) per result over ROUNDS rounds of AT_ONCE results kept at once and flushed, after WARM rounds. */
async function run(maxBatch: number): Promise<{ send: number; keepAndSend: number }> {
  const net = await coordinator(maxBatch);
  const { client } = await testDevice(net.url, { minLeaseIntervalMs: 0 });
  let send = 0;
  let keepAndSend = 0;
  try {
    for (let round = 0; round < WARM + ROUNDS; round++) {
      const leased: { leaseId: string; result: TaskResult }[] = [];
      for (let i = 0; i < AT_ONCE; i++) {
        const { leaseId, task } = await leaseOne(client);
        leased.push({ leaseId, result: quickResult(task) });
      }
      const before = process.cpuUsage();
      await Promise.all(leased.map(({ leaseId, result }) => client.complete(leaseId, result)));
      const flushing = process.cpuUsage();
      const left = await client.flush();
      if (left !== 0) throw new Error(`${left} results were not sent`);
      if (round < WARM) continue;
      send += ms(process.cpuUsage(flushing));
      keepAndSend += ms(process.cpuUsage(before));
    }
  } finally {
    await client.close();
    net.stop();
  }
  const results = ROUNDS * AT_ONCE;
  return { send: send / results, keepAndSend: keepAndSend / results };
}

const single = await run(0);
const batched = await run(AT_ONCE);
console.log(`agent CPU per result, ${ROUNDS} rounds of ${AT_ONCE} small results finished at once:`);
for (const [name, r] of [
  ['one request each (before)', single],
  ['one batched request      ', batched],
] as const)
  console.log(`  ${name}: sending ${r.send.toFixed(3)} ms, keeping and sending ${r.keepAndSend.toFixed(3)} ms`);
console.log(`  batching: sending costs ${(single.send / batched.send).toFixed(1)}x less CPU per result`);
