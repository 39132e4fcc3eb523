// One computer, two wallets, against the devnet coordinator in this process: a device id belongs to one owner for good
// (the coordinator refuses to move it), so each wallet earns under an id of its own, and the first one's comes back
// with it; a file from before owners were kept is checked with the coordinator.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Wallet, type HDNodeWallet } from 'ethers';
import { createNetworkClient, type NetworkClient } from '../../main/core/network/client.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { systemClock } from '../../main/core/node-ports.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { ledgerWei } from '../helpers/ledger.js';
import { contributing } from '../integration/support/contribute.js';
import { cpuDevice, cpuService, nextEvent, queueResult, runWithOrt, switchableProxy } from '../integration/support/network.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

const devnet = await startCoordinator({ taskIntervalMs: null });
closers.push(() => devnet.close());

interface ClientJson {
  deviceId: string;
  owner?: string;
  coordinators: Record<string, { token: string | null }>;
  earlier?: { deviceId: string; owner?: string; coordinators: Record<string, { token: string | null }> }[];
}
const clientJson = async (dir: string): Promise<ClientJson> =>
  JSON.parse(await readFile(join(dir, 'network', 'client.json'), 'utf8')) as ClientJson;

/** A client of `signer` on the data in `dir`, contacted once (registered unless it holds a token); closed before the next. */
async function joined(dir: string, signer: HDNodeWallet): Promise<{ client: NetworkClient; logger: MemoryLogger }> {
  const logger = new MemoryLogger();
  const ledger = await Ledger.open(join(dir, 'ledger.jsonl'));
  const client = await createNetworkClient({
    url: devnet.url,
    dataDir: dir,
    signer,
    device: cpuDevice,
    ledger,
    clock: systemClock,
    logger,
  });
  await client.connect();
  await client.close();
  return { client, logger };
}

/** A coordinator that seals the open epoch at every fetch, so a receipt comes at once; closed after the file. */
async function sealingCoordinator(): Promise<Awaited<ReturnType<typeof startCoordinator>>> {
  const sealing = await startCoordinator({ taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 });
  closers.push(() => sealing.close());
  return sealing;
}

/** `signer` works on the data in `dir` until an epoch of its receipts comes; the device id it earned under. */
async function earnOnce(dir: string, url: string, signer: HDNodeWallet): Promise<string> {
  const service = await cpuService(dir, url, signer);
  const earned = nextEvent(service.client, 'epoch');
  const stop = contributing(service.client, (task) => runWithOrt(task));
  await earned;
  await stop();
  await service.close();
  return service.client.deviceId;
}

test('another wallet earns under an id of its own; the first wallet gets its id and token back', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const [first, second] = [Wallet.createRandom(), Wallet.createRandom()];
  const a = await joined(dir, first);
  const b = await joined(dir, second);
  assert.notEqual(b.client.deviceId, a.client.deviceId);
  assert.match(b.logger.lines.join('\n'), new RegExp(`registered device ${b.client.deviceId} for ${second.address}`));
  assert.deepEqual(b.client.trust().deviceIds, [b.client.deviceId, a.client.deviceId], 'the ledger takes the epochs of both');

  const tokenBefore = (await clientJson(dir)).earlier?.[0]?.coordinators[devnet.url]?.token;
  const back = await joined(dir, first);
  assert.equal(back.client.deviceId, a.client.deviceId);
  assert.doesNotMatch(back.logger.lines.join('\n'), /registered device/, 'its token still works: no new registration');
  const saved = await clientJson(dir);
  assert.equal(saved.coordinators[devnet.url]?.token, tokenBefore);
  assert.deepEqual(
    saved.earlier?.map((e) => [e.deviceId, e.owner]),
    [[b.client.deviceId, second.address]],
  );
  // The coordinator still knows the device as the first wallet's, with its token: an authenticated call goes through.
  assert.equal(await back.client.syncReceipts(), 0);
});

test(
  'a file from before owners were kept is checked with the coordinator: an id it holds for another owner is left for a new one',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const [first, second] = [Wallet.createRandom(), Wallet.createRandom()];
    const a = await joined(dir, first);
    const forgetOwners = async (): Promise<void> => {
      const { deviceId, coordinators } = await clientJson(dir);
      await writeFile(join(dir, 'network', 'client.json'), JSON.stringify({ deviceId, coordinators }));
    };

    // The same wallet: the id is its own, and registering again keeps it.
    await forgetOwners();
    assert.equal((await joined(dir, first)).client.deviceId, a.client.deviceId);

    // Another wallet: the coordinator refuses the id, and a new one is registered for this wallet.
    await forgetOwners();
    const b = await joined(dir, second);
    assert.notEqual(b.client.deviceId, a.client.deviceId);
    assert.match(b.logger.lines.join('\n'), new RegExp(`device ${a.client.deviceId} is another owner's`));
    const saved = await clientJson(dir);
    assert.equal(saved.owner, second.address);
    assert.deepEqual(
      saved.earlier?.map((e) => e.deviceId),
      [a.client.deviceId],
      'the id and its epochs are kept',
    );
  },
);

test(
  'a lost client.json is rebuilt with the id of each wallet that earned here: both histories stay, each wallet gets its own id back',
  { timeout: 120_000 },
  async () => {
    const sealing = await sealingCoordinator();
    const dir = await tempDir();
    const [first, second] = [Wallet.createRandom(), Wallet.createRandom()];
    const a = await earnOnce(dir, sealing.url, first);
    const b = await earnOnce(dir, sealing.url, second);
    assert.notEqual(a, b);
    const wei = await ledgerWei(join(dir, 'ledger.jsonl'));

    await rm(join(dir, 'network', 'client.json'));
    const back = await cpuService(dir, sealing.url, second);
    assert.equal(back.client.deviceId, b, 'the newest id, for the wallet it earned for');
    assert.equal(back.ledger.report.setAside, undefined, 'no signed epoch of either wallet is set aside');
    assert.equal(back.book.earnings()!.total.confirmedWei, String(wei), 'the whole history is counted');
    await back.close();
    const firstBack = await cpuService(dir, sealing.url, first);
    assert.equal(firstBack.client.deviceId, a, 'the first wallet takes up its own id');
    await firstBack.close();
  },
);

test(
  'a result finished for the wallet before and not sent at the change is kept for it, told once, and sent when it comes back',
  { timeout: 120_000 },
  async () => {
    const proxy = await switchableProxy(devnet.url);
    closers.push(() => proxy.close());
    const dir = await tempDir();
    const [first, second] = [Wallet.createRandom(), Wallet.createRandom()];
    // The first wallet's result waits in the outbox: the network went away before it was sent.
    const before = await cpuService(dir, proxy.url, first);
    devnet.addTasks(1);
    const taskId = await queueResult(before.client, proxy);
    await before.close();

    proxy.up = true;
    const logger = new MemoryLogger();
    const other = await cpuService(dir, proxy.url, second, logger);
    await other.client.flush();
    await other.client.flush();
    assert.equal(devnet.stats.accepted.get(taskId), undefined, 'not sent under the new wallet’s id');
    assert.equal(other.client.status().queued, 0, 'nothing waits to be sent for this wallet');
    const told = logger.lines.filter((l) => l.includes('could not be sent before the wallet changed'));
    assert.equal(told.length, 1, 'told once');
    assert.match(
      told[0]!,
      new RegExp(
        `1 finished result done for your wallet before \\(${first.address.slice(0, 6)}…${first.address.slice(-4)}\\) .* It is kept, and sent when that wallet is used on this computer again\\.$`,
      ),
    );
    await other.close();

    const back = await cpuService(dir, proxy.url, first);
    await back.client.flush();
    assert.equal(devnet.stats.accepted.get(taskId), 1, 'sent under its own id when its wallet is back');
    await back.close();
  },
);

test(
  'a lost client.json while the next wallet’s first result waits: that result’s id is taken up as that wallet’s, and the result is sent',
  { timeout: 120_000 },
  async () => {
    const sealing = await sealingCoordinator();
    const proxy = await switchableProxy(sealing.url);
    closers.push(() => proxy.close());
    const dir = await tempDir();
    const [first, second] = [Wallet.createRandom(), Wallet.createRandom()];
    const a = await earnOnce(dir, proxy.url, first);
    // The second wallet's first result waits in the outbox (the network went away): no epoch of its own yet.
    const waiting = await cpuService(dir, proxy.url, second);
    const taskId = await queueResult(waiting.client, proxy);
    await waiting.close();

    await rm(join(dir, 'network', 'client.json'));
    proxy.up = true;
    const back = await cpuService(dir, proxy.url, second);
    assert.equal(back.client.deviceId, waiting.client.deviceId, 'the waiting result’s id: it is newer than the ledger’s');
    await back.client.flush();
    assert.equal(sealing.stats.accepted.get(taskId), 1, 'the result is sent under its own id');
    await back.close();
    const firstBack = await cpuService(dir, proxy.url, first);
    assert.equal(firstBack.client.deviceId, a, 'the first wallet takes up its own id');
    await firstBack.close();
  },
);
