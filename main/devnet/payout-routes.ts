import { EPOCH_MAX_RECEIPTS, type ReceiptsReply, type VoucherReply } from '../common/protocol.js';
import { RevokeRequestSchema, type OwnerEpochsReply, type RevokeReply } from '../common/delegation.js';
import { HttpError, parse, readBody } from './http-util.js';
import { cursorOf, ownedBy, sealIfDue, type Handlers, type RouteContext } from './route-context.js';

/** How long a voucher may be claimed; an expired one is simply replaced by the next request. */
const VOUCHER_TTL_S = 3600;

/** The routes of what a device earned: its receipts, an owner's vouchers, members' epochs and revoked delegations. */
export function payoutRoutes(c: RouteContext): Handlers {
  const { registry, payouts } = c;
  const now = (): number => c.clock.now();
  return {
    'GET v1/voucher': async (req): Promise<VoucherReply> => {
      const [deviceId, device] = registry.authenticate(req);
      const { payout } = c;
      if (!payout) throw new HttpError(404, 'no-payout', 'This coordinator has no payout contract yet.');
      // One voucher for every device of the owner (its own and its members'), each sealed first.
      const owned = ownedBy(c, device.info.owner);
      for (const [id, d] of owned) await sealIfDue(c, id, d);
      const ids = [deviceId, ...owned.map(([id]) => id).filter((id) => id !== deviceId)];
      const voucher = await payouts.voucher(payout, ids, device.info.owner, Math.floor(now() / 1000) + VOUCHER_TTL_S);
      return { voucher, serverTime: now() };
    },
    'POST v1/delegations': async (req, rest): Promise<RevokeReply> => {
      if (rest !== 'revoke') throw new HttpError(404, 'not-found', 'No such route.');
      return { status: await registry.delegations.revoke(parse(RevokeRequestSchema, (await readBody(req)).value)), serverTime: now() };
    },
    'GET v1/owner': async (req, rest, url): Promise<OwnerEpochsReply> => {
      const [, asker] = registry.authenticate(req);
      if (rest !== 'epochs') throw new HttpError(404, 'not-found', 'No such route.');
      const deviceId = url.searchParams.get('device') ?? '';
      const cursor = cursorOf(url);
      // Only the same owner's devices: another owner's earnings are none of its business.
      const target = ownedBy(c, asker.info.owner).find(([id]) => id === deviceId)?.[1];
      if (!target) throw new HttpError(404, 'not-found', 'No device of this owner has that id.');
      await sealIfDue(c, deviceId, target);
      const epochs = payouts.epochsAfter(deviceId, cursor, 256);
      return { epochs, nextCursor: epochs.at(-1)?.epoch.lastSeq ?? cursor, serverTime: now() };
    },
    'GET v1/receipts': async (req, _rest, url) => {
      const [deviceId, device] = registry.authenticate(req);
      const cursor = cursorOf(url);
      await sealIfDue(c, deviceId, device);
      const epochs = c.unfetched.after(deviceId, cursor, EPOCH_MAX_RECEIPTS);
      return { epochs, nextCursor: epochs.at(-1)?.epoch.lastSeq ?? cursor, serverTime: now() } satisfies ReceiptsReply;
    },
  };
}
