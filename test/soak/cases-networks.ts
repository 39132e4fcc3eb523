// Earnings per network (issue 27 item 5): one device's data folder moved from one coordinator to another. The first
// one's signed work stays in the ledger, shown apart, and is never in the second one's figures or what is left to
// claim there.
import { Wallet } from 'ethers';
import type { CoordinatorOptions } from '../../main/devnet/coordinator.js';
import { systemClock } from '../../main/core/node-ports.js';
import { openEarningsBook, type EarningsBook } from '../../main/core/network/earnings-book.js';
import type { OwnerSigner } from '../../main/core/network/client.js';
import { startNetworkService } from '../../main/core/network/service.js';
import { networkKey } from '../../main/core/ledger/source.js';
import { MemoryLogger, tempDir } from '../helpers/fakes.js';
import { recordsOf } from '../helpers/ledger.js';
import { contributing } from '../integration/support/contribute.js';
import { cpuDevice, nextEvent, runWithOrt } from '../integration/support/network.js';
import { clean, withDevnet, type SoakCase } from './case.js';

/** Every fetch seals the open epoch, so receipts come at once. */
const quick: CoordinatorOptions = { taskIntervalMs: 10, availabilityReceiptMs: 1, epochMs: 0 };

/** A service on `url` over the shared book: earns until `epochs` epochs with compute came, then stops and closes. */
async function earnOn(book: EarningsBook, dataDir: string, signer: OwnerSigner, url: string, epochs: number): Promise<string> {
  const logger = new MemoryLogger();
  const service = await startNetworkService({
    dataDir,
    book,
    url,
    detailDays: () => 7,
    signer,
    device: cpuDevice,
    clock: systemClock,
    logger,
  });
  try {
    let n = 0;
    const earned = nextEvent(service.client, 'epoch', (e) => e.epoch.sums.some((s) => s.resourceType === 'cpu') && ++n >= epochs);
    const stop = contributing(service.client, (task) => runWithOrt(task));
    await earned;
    await stop();
    await service.client.syncReceipts();
    return networkKey(await service.client.pinned());
  } finally {
    await service.close();
  }
}

export const NETWORK_CASES: SoakCase[] = [
  {
    name: 'moved to another network: the first one’s work is shown apart, never in the second one’s figures or claimable',
    fast: false,
    run: (size) =>
      withDevnet(quick, (a) =>
        withDevnet(quick, async (b) => {
          const dataDir = await tempDir('synor-soak-networks-');
          const signer = Wallet.createRandom();
          const book = await openEarningsBook({ dataDir, detailDays: () => 7, clock: systemClock, logger: new MemoryLogger() });
          await book.ready;
          try {
            const epochs = size === 'full' ? 5 : 2;
            const keyA = await earnOn(book, dataDir, signer, a.url, epochs);
            const keyB = await earnOn(book, dataDir, signer, b.url, epochs);
            const records = await recordsOf(book.ledger);
            const weiOf = (key: string): bigint =>
              records.filter((r) => networkKey(r.source) === key).reduce((n, r) => n + BigInt(r.signed.epoch.totalWei), 0n);
            const [shownB, shownA] = book.networks(keyB, { address: signer.address, claims: [] });
            const apart = shownA?.key === keyA && shownA.unclaimedWei === null && BigInt(shownA.confirmedWei) === weiOf(keyA);
            const onlyB =
              shownB?.key === keyB && BigInt(shownB.confirmedWei) === weiOf(keyB) && shownB.unclaimedWei === shownB.confirmedWei;
            return {
              ...clean,
              ok: apart && onlyB && weiOf(keyA) > 0n && weiOf(keyB) > 0n,
              outcome:
                `A (apart): ${weiOf(keyA)} wei in its epochs, shown ${shownA?.confirmedWei}; B: ${weiOf(keyB)} wei, shown ${shownB?.confirmedWei}, ` +
                `left to claim ${shownB?.unclaimedWei}`,
            };
          } finally {
            await book.close();
          }
        }),
      ),
  },
];
