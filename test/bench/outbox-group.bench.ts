// Group-committed outbox writes (issue 32 item 2): a micro-batch's results finish together and are kept together.
// ROUNDS batches of BATCH results with 1 MB outputs each are put at once (as the scheduler's sink does when a batch
// ends) and, for comparison, the same results one after another; each round's results are then removed, as once sent.
// Printed: wall and CPU time per result, and fsyncs per result (files' and the folder's; before group commit, one of
// each for every result: 16 results one after another took 1.70-2.73 ms of CPU each, a batch at once 1.10-1.17 ms).
import { cpus, loadavg } from 'node:os';
import { Outbox } from '../../main/core/network/outbox.js';
import { countingFiles } from '../helpers/counting-files.js';
import { outboxEntry } from '../helpers/outbox-entry.js';
import { tempDir } from '../helpers/fakes.js';

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} cores`,
);
const BATCH = 16;
const ROUNDS = 8;
const OUTPUT_BYTES = 1 << 20;
const data = new Uint8Array(OUTPUT_BYTES).map((_, i) => i % 251);

const entry = (taskId: string) => outboxEntry(taskId, { dtype: 'uint8', shape: [OUTPUT_BYTES], data });

/** ms of wall and of this process's CPU, and fsyncs, per result over ROUNDS rounds of BATCH results put `together` or not. */
async function run(together: boolean): Promise<{ wall: number; cpu: number; fsyncs: number }> {
  const dir = await tempDir();
  const { port, syncs } = countingFiles(dir);
  const outbox = new Outbox(dir, port);
  let wall = 0;
  let cpu = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const ids = Array.from({ length: BATCH }, (_, i) => `${together ? 'g' : 's'}-${round}-${i}`);
    const started = performance.now();
    const before = process.cpuUsage();
    if (together) await Promise.all(ids.map((id) => outbox.put(entry(id))));
    else for (const id of ids) await outbox.put(entry(id));
    const used = process.cpuUsage(before);
    wall += performance.now() - started;
    cpu += (used.user + used.system) / 1000;
    for (const id of ids) await outbox.remove(id);
  }
  const results = ROUNDS * BATCH;
  return { wall: wall / results, cpu: cpu / results, fsyncs: (syncs.file + syncs.folder) / results };
}

const alone = await run(false);
const batch = await run(true);
console.log(`outbox writes (${ROUNDS} rounds of ${BATCH} results of ${OUTPUT_BYTES >> 20} MB):`);
for (const [name, r] of [
  ['one after another', alone],
  ['a batch at once  ', batch],
] as const)
  console.log(`  ${name}: ${r.wall.toFixed(2)} ms wall, ${r.cpu.toFixed(2)} ms CPU, ${r.fsyncs.toFixed(3)} fsyncs per result`);
console.log(
  `  group commit: ${(alone.fsyncs / batch.fsyncs).toFixed(0)}x fewer fsyncs for a batch (${batch.fsyncs * BATCH <= 2 ? 'met' : 'NOT met'}: two for the batch)`,
);
