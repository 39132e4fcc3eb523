import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet } from 'ethers';
import { createNetworkClient } from '../../main/core/network/client.js';
import { linkScheduler } from '../../main/core/network/scheduler-link.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { systemClock } from '../../main/core/node-ports.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { cpuDevice, nextEvent, runWithOrt } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

test('the scheduler link leases by task id, completes and releases through the client', { timeout: 120_000 }, async () => {
  const devnet = await startCoordinator({ taskIntervalMs: null });
  closers.push(() => devnet.close());
  const dir = await tempDir();
  const logger = new MemoryLogger();
  const ledger = await Ledger.open(join(dir, 'ledger.jsonl'));
  const client = await createNetworkClient({
    url: devnet.url,
    dataDir: dir,
    signer: Wallet.createRandom(),
    device: cpuDevice,
    ledger,
    clock: systemClock,
    logger,
    leaseWaitMs: 100,
  });
  await ledger.verify(recordProblem(client.trust()), Date.now());
  closers.push(() => client.close());
  const link = linkScheduler(client, logger);
  assert.deepEqual(await link.source.lease(4, 'cpu'), [], 'no work: an empty batch');
  devnet.addTasks(2);
  const [first] = await link.source.lease(4, 'cpu');
  const [second] = await link.source.lease(4, 'cpu');
  assert.ok(first && second);
  const queued = nextEvent(client, 'queued');
  await link.sink.complete(await runWithOrt(first));
  assert.equal((await queued).taskId, first.id);
  await client.flush();
  assert.equal(devnet.stats.accepted.get(first.id), 1);
  await link.sink.release(second.id, 'deadline', 'too slow here');
  assert.deepEqual(devnet.stats.releases, ['deadline']);
  await link.sink.release('devnet-unknown', 'shutdown', 'x');
  assert.match(logger.lines.join('\n'), /does not hold a lease for; ignored/);
});
