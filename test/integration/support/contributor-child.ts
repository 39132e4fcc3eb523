// A contributing device in its own process, for kill -9 tests: leases from the devnet, runs tasks with onnxruntime,
// and prints one line per step so the parent can kill it at chosen points. SIGTERM drains and exits cleanly.
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { createNetworkClient } from '../../../main/core/network/client.js';
import { contribute } from './contribute.js';
import { Ledger } from '../../../main/core/ledger/ledger.js';
import { recordProblem } from '../../../main/core/ledger/trust.js';
import { systemClock } from '../../../main/core/node-ports.js';
import { cpuDevice, runWithOrt } from './network.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const dataDir = env('SYNOR_TEST_DATA');
const ledger = await Ledger.open(join(dataDir, 'ledger.jsonl'));
if (ledger.report.tornTail) say(`torn ${ledger.report.tornTail.bytes}`);
const client = await createNetworkClient({
  url: env('SYNOR_TEST_COORDINATOR'),
  dataDir,
  signer: new Wallet(env('SYNOR_TEST_OWNER_KEY')),
  device: cpuDevice,
  ledger,
  clock: systemClock,
  logger: { info: () => {}, warn: () => {}, error: (m) => process.stderr.write(`${m}\n`) },
  leaseWaitMs: 1_000,
  syncIntervalMs: 20,
  backoff: { baseMs: 20, maxMs: 200 },
});
await ledger.verify(recordProblem(client.trust()), Date.now());
client.subscribe((e) => {
  if (e.type === 'leased') say(`leased ${e.taskId}`);
  if (e.type === 'queued') say(`queued ${e.taskId}`);
  if (e.type === 'submitted') say(`submitted ${e.taskId} ${e.status}`);
  if (e.type === 'epoch') say(`epoch ${e.epoch.firstSeq}-${e.epoch.lastSeq}`);
});
client.start();
const stop = new AbortController();
process.on('SIGTERM', () => stop.abort());
say(`started ${client.status().queued}`);
// Several loops at once (SYNOR_TEST_LOOPS): results finish close together, and the outbox commits them in groups.
const loops = Number(process.env['SYNOR_TEST_LOOPS'] ?? '1');
const contributing = () =>
  contribute({
    client,
    signal: stop.signal,
    execute: async (task) => {
      const result = await runWithOrt(task);
      say(`ran ${task.id}`);
      return result;
    },
  });
await Promise.all(Array.from({ length: loops }, contributing));
await client.flush();
await client.syncReceipts();
say(`drained ${client.status().queued}`);
await client.close();
process.exit(0);
