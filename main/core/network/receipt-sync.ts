import { ReceiptsReplySchema, ROUTES } from '../../common/protocol.js';
import type { Emitter } from '../events.js';
import { diskRefusal } from '../fs/disk-refusal.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Clock } from '../ports.js';
import type { ClientFile } from './client-file.js';
import type { NetworkEvent } from './client-types.js';
import { NetworkError } from './http.js';
import type { CoordinatorLink } from './link.js';
import { bundleProblem, type ReceiptProblem } from '../receipts/receipts.js';

export interface ReceiptSyncOptions {
  link: CoordinatorLink;
  file: ClientFile;
  ledger: Ledger;
  owner: string;
  events: Emitter<NetworkEvent>;
  clock: Pick<Clock, 'now'>;
  /** After each page: tells the user if the disk holds earnings records back. */
  afterPage: () => void;
}

/**
 * Fetches this device's new epochs page by page, checks each (signature of the pinned coordinator, this device and
 * owner, every receipt's reward split, the receipts adding up to the signed root and sums) and appends it to the
 * ledger; resolves to how many receipts were added. The cursor moves only past epochs that checked out and are on
 * disk, so a refused or unsaved one is fetched again.
 */
export async function fetchReceipts(o: ReceiptSyncOptions): Promise<number> {
  const { link, file, ledger } = o;
  let added = 0;
  for (let page = 0; page < 100; page++) {
    const pinned = link.pinned;
    if (!pinned) return added;
    const reply = await link.authed(() => link.call(ROUTES.receipts(pinned.cursor), ReceiptsReplySchema, 'GET'));
    let cursor = pinned.cursor;
    let problem: ReceiptProblem | null = null;
    for (const bundle of reply.epochs) {
      if (bundle.epoch.lastSeq <= cursor) continue;
      problem = bundleProblem(bundle, {
        chainId: pinned.chainId,
        coordinator: pinned.coordinator,
        deviceId: file.deviceId,
        owner: o.owner,
      });
      if (problem) break;
      const source = { url: link.url, devnet: link.devnet, coordinator: pinned.coordinator, chainId: pinned.chainId };
      if (await ledger.appendEpoch(o.clock.now(), source, bundle)) {
        added += bundle.receipts.length;
        o.events.emit({ type: 'epoch', epoch: bundle.epoch });
      }
      // Held in memory (disk full): counted, but fetched again should the app stop before it is written.
      if (ledger.heldCount() === 0) cursor = bundle.epoch.lastSeq;
    }
    const held = ledger.heldCount() > 0;
    o.afterPage();
    // A full disk may refuse to save the cursor: then the epochs after the one saved come again after a restart,
    // and are skipped.
    if (cursor !== pinned.cursor) {
      await file.setCoordinator(link.url, { ...pinned, cursor }).catch((error: unknown) => {
        if (diskRefusal(error) === null) throw error;
      });
    }
    if (problem) throw new NetworkError(problem.code, `Earnings sent by the coordinator were refused: ${problem.message}.`);
    if (held || cursor === pinned.cursor) return added;
  }
  return added;
}
