import type { IncomingMessage } from 'node:http';
import type { Clock, Logger } from '../core/ports.js';
import { HttpError } from './http-util.js';
import type { PayoutLink, Payouts } from './payouts.js';
import type { ReceiptIssuer } from './receipt-issuer.js';
import type { Device, DeviceRegistry } from './registry.js';
import type { ResultDesk } from './results.js';
import type { UnfetchedEpochs } from './unfetched-receipts.js';
import type { WorkPool } from './work-pool.js';

/** What the coordinator's routes answer from: its parts, and the payout contract once one is attached. */
export interface RouteContext {
  clock: Pick<Clock, 'now'>;
  logger: Logger | undefined;
  chainId: number;
  maxLeaseWaitMs: number;
  leaseTtlMs: number;
  /** The most results one batched submit may carry; 0: batches are not taken (as a coordinator before them). */
  maxSubmitBatch: number;
  registry: DeviceRegistry;
  pool: WorkPool;
  desk: ResultDesk;
  receipts: ReceiptIssuer;
  payouts: Payouts;
  unfetched: UnfetchedEpochs;
  /** Set by `attachPayout`: vouchers are served and registering owners funded from then on. */
  payout: PayoutLink | undefined;
}

/** A route's answer (sent as JSON) to a request; `rest` is the path past the route's own, `url` the whole address. */
export type Handler = (req: IncomingMessage, rest: string, url: URL) => Promise<unknown>;
/** Handlers by `METHOD v1/path`. */
export type Handlers = Record<string, Handler>;

/** Seals the device's open epoch when it is due; sealing changes its unpaid bytes, which the state file keeps. */
export async function sealIfDue(c: RouteContext, deviceId: string, device: Device): Promise<void> {
  await c.receipts.sealIfDue(deviceId, device, (open) => c.desk.sealable(deviceId, open));
  await c.registry.save();
}

/** Every device registered to `owner`: its own and its members'. */
export const ownedBy = (c: RouteContext, owner: string): [string, Device][] =>
  [...c.registry.devices].filter(([, d]) => d.info.owner.toLowerCase() === owner.toLowerCase());

/** A receipt cursor from the query: a non-negative integer, 0 when left out. */
export function cursorOf(url: URL): number {
  const cursor = Number(url.searchParams.get('cursor') ?? '0');
  if (!Number.isSafeInteger(cursor) || cursor < 0) throw new HttpError(400, 'bad-request', 'cursor must be a non-negative integer.');
  return cursor;
}
