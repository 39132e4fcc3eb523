import { join } from 'node:path';
import { errorDetail, errorText } from '../../common/result.js';
import { DELEGATION_ROUTES, OwnerEpochsReplySchema, RevokeReplySchema } from '../../common/delegation.js';
import { ROUTES, VoucherReplySchema } from '../../common/protocol.js';
import { coalesced } from '../../common/serial.js';
import { Emitter } from '../events.js';
import { ClientFile } from './client-file.js';
import { networkStatus, statusPublisher } from './client-status.js';
import { ownerOf, type NetworkClient, type NetworkClientOptions, type NetworkEvent } from './client-types.js';
import { checkCoordinatorUrl, NetworkError } from './http.js';
import { Leasing, type LeaseBlock } from './leasing.js';
import { LinkMeter } from './link-meter.js';
import { CoordinatorLink } from './link.js';
import { Outbox } from './outbox.js';
import { fetchReceipts } from './receipt-sync.js';
import { Submitting } from './submitting.js';
import { SyncLoop } from './sync-loop.js';

export type { LeaseOutcome, NetworkClient, NetworkClientOptions, NetworkEvent, OwnerSigner, PinnedCoordinator } from './client-types.js';

const MIB = 1024 * 1024;

/** The client's parts, built on its files; `changed` is called whenever the status line may have moved. */
async function buildParts(o: NetworkClientOptions, events: Emitter<NetworkEvent>, changed: () => void) {
  const requestTimeoutMs = o.requestTimeoutMs ?? 15_000;
  const maxBacklog = o.maxBacklog ?? 32;
  const dir = join(o.dataDir, 'network');
  // Checked before any file is touched: an insecure URL is refused with nothing written.
  const base = checkCoordinatorUrl(o.url);
  const file = await ClientFile.open(join(dir, 'client.json'));
  const { signer, device, clock, logger, ledger } = o;
  const owner = ownerOf(signer);
  const before = file.owner;
  const ownerBefore = (await file.useOwner(owner)) ? (before ?? null) : null;
  if (ownerBefore) logger.info(`network: earning for ${owner} as device ${file.deviceId}, no longer for ${ownerBefore}`);
  const maxReplyBytes = o.maxReplyBytes ?? 96 * MIB;
  const link = new CoordinatorLink({
    base,
    file,
    signer,
    device,
    clock,
    logger,
    requestTimeoutMs,
    maxReplyBytes,
    meter: o.meter ?? new LinkMeter(),
    changed,
  });
  const outbox = new Outbox(join(dir, 'outbox'));
  const loaded = await outbox.list();
  for (const problem of loaded.problems) logger.error(problem);

  /** Why no task should be leased now: results that cannot be saved, or too many waiting to be sent. */
  const blocked = (): LeaseBlock | null => {
    const held = submitting.heldBecause();
    if (held) return { code: 'paused', message: `new work is paused: ${held.message}` };
    if (submitting.queued < maxBacklog) return null;
    return { code: 'paused', message: `${submitting.queued} finished results are waiting to be sent first` };
  };
  const leasing = new Leasing({
    link,
    events,
    // Leases are paid at the rate of the kind of device this machine registered as (docs/protocol.md, "Leases").
    resource: device.deviceType.kind === 'cpu' ? 'cpu' : 'gpu',
    leaseWaitMs: o.leaseWaitMs ?? 25_000,
    requestTimeoutMs,
    minLeaseIntervalMs: o.minLeaseIntervalMs ?? 20,
    blocked,
    changed,
  });
  const queued = loaded.entries.filter((e) => e.url === link.url && e.deviceId === file.deviceId).length;
  const submitting = new Submitting({ link, leasing, outbox, queued, file, ledger, events, clock, logger, changed });
  const afterPage = (): void => submitting.tellHeld();
  const syncReceipts = coalesced(() =>
    fetchReceipts({ link, file, ledger, owner, events, clock, afterPage }).catch((error: unknown) => link.failed(error)),
  );
  return { file, link, leasing, submitting, syncReceipts, ownerBefore };
}

export async function createNetworkClient(o: NetworkClientOptions): Promise<NetworkClient> {
  const events = new Emitter<NetworkEvent>();
  const { file, link, leasing, submitting, syncReceipts, ownerBefore } = await buildParts(o, events, () => publish());
  const { url } = link;
  const statusParts = { link, leasing, submitting, clock: o.clock };
  const publish = statusPublisher(statusParts, (status) => events.emit({ type: 'status', status }));

  // The background sync: flush and receipts on a timer while all is well, with backoff while not.
  const loop = new SyncLoop({
    async round() {
      if (!link.info) await link.connect();
      await submitting.flush();
      await syncReceipts();
    },
    failed(error, waitMs) {
      if (error instanceof NetworkError) {
        link.retryAt = o.clock.now() + waitMs;
        publish();
      } else {
        o.logger.error(`network sync failed: ${errorDetail(error)}`);
        events.emit({ type: 'problem', message: errorText(error) });
      }
    },
    intervalMs: o.syncIntervalMs ?? 30_000,
    backoff: o.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 },
    random: o.random ?? Math.random,
  });

  return {
    get deviceId() {
      return file.deviceId;
    },
    ownerBefore,
    url,
    trust: () => ({ deviceIds: file.deviceIds(), coordinators: file.coordinators() }),
    status: () => networkStatus(statusParts),
    subscribe: (listener) => events.subscribe(listener),
    connect: link.connect,
    lease: (signal, resource) => leasing.lease(signal, resource),
    voucher: async () => (await link.authed(() => link.call(ROUTES.voucher, VoucherReplySchema, 'GET'))).voucher,
    async pinned() {
      if (!link.info || !link.pinned?.token) await link.connect();
      const pinned = link.pinned;
      if (!link.info || !pinned) throw new NetworkError('UNREGISTERED', `This device is not registered with ${url} yet.`);
      return { coordinator: pinned.coordinator, chainId: pinned.chainId, payout: link.info.payout ?? null };
    },
    serverNow: () => link.serverNow(),
    ownerEpochs: (id, cursor) => link.authed(() => link.call(DELEGATION_ROUTES.ownerEpochs(id, cursor), OwnerEpochsReplySchema, 'GET')),
    revoke: (request) => link.call(DELEGATION_ROUTES.revoke, RevokeReplySchema, 'POST', request),
    progress: (leaseId, fraction) => leasing.progress(leaseId, fraction),
    async complete(leaseId, result) {
      if ((await submitting.keep(leaseId, result)) && loop.started) loop.schedule(0);
    },
    release: (leaseId, reason, message) => leasing.release(leaseId, reason, message),
    flush: submitting.flush,
    syncReceipts,
    start() {
      if (!loop.started) loop.schedule(0);
    },
    async close() {
      loop.close();
      leasing.stopAll();
      await Promise.all([submitting.flush.idle(), syncReceipts.idle()]);
    },
  };
}
