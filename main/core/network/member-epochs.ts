import type { Epoch } from '../../common/protocol.js';
import type { NetworkClient } from './client-types.js';
import { epochProblem } from '../receipts/receipts.js';

type ClaimEpoch = Pick<Epoch, 'deviceId' | 'firstSeq' | 'lastSeq' | 'totalWei'>;

/** At most this many pages per claim: 256 epochs a page, more than a member earns between two claims. */
const MAX_PAGES = 64;

/**
 * Another device's signed epochs after receipt `after`, for the owner's claim of a voucher that names it (a member
 * earning to this wallet, docs/protocol.md "Delegation"). The owner holds no ledger of that device, so the
 * coordinator serves its epochs, and each is checked as this device's own were before they entered the ledger:
 * signed by the pinned coordinator, for that device and this owner, and numbered on from `after` with no gap or
 * overlap. The claim check then sums them exactly as its own. Throws Error in plain words when one does not check.
 */
export async function memberEpochs(
  client: Pick<NetworkClient, 'ownerEpochs'>,
  expect: { chainId: number; coordinator: string; owner: string },
  deviceId: string,
  after: number,
): Promise<ClaimEpoch[]> {
  const epochs: ClaimEpoch[] = [];
  let cursor = after;
  for (let page = 0; page < MAX_PAGES; page++) {
    const reply = await client.ownerEpochs(deviceId, cursor);
    for (const signed of reply.epochs) {
      const problem = epochProblem(signed, { ...expect, deviceId });
      if (problem) throw new Error(`the earnings of device ${deviceId} sent by the network do not check out (${problem.message})`);
      if (signed.epoch.firstSeq !== cursor + 1) {
        throw new Error(`the earnings of device ${deviceId} sent by the network skip or repeat receipts after ${cursor}`);
      }
      const { firstSeq, lastSeq, totalWei } = signed.epoch;
      epochs.push({ deviceId, firstSeq, lastSeq, totalWei });
      cursor = lastSeq;
    }
    if (reply.epochs.length === 0) break;
  }
  return epochs;
}
