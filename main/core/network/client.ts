import { join } from 'node:path';
import { errorText } from '../../common/result.js';
import { DEVNET_LABEL, type NetworkStatus } from '../../common/network.js';
import { refusalAdvice } from '../fs/disk-refusal.js';
import { DELEGATION_ROUTES, OwnerEpochsReplySchema, RevokeReplySchema } from '../../common/delegation.js';
import { ROUTES, VoucherReplySchema } from '../../common/protocol.js';
import { coalesced } from '../coalesced.js';
import { Emitter } from '../events.js';
import { ClientFile } from './client-file.js';
import { ownerOf, type NetworkClient, type NetworkClientOptions, type NetworkEvent } from './client-types.js';
import { backoffMs, checkCoordinatorUrl, NetworkError } from './http.js';
import { Leasing } from './leasing.js';
import { LinkMeter } from './link-meter.js';
import { CoordinatorLink } from './link.js';
import { Outbox } from './outbox.js';
import { fetchReceipts } from './receipt-sync.js';
import { Submitting } from './submitting.js';

export type { LeaseOutcome, NetworkClient, NetworkClientOptions, NetworkEvent, OwnerSigner, PinnedCoordinator } from './client-types.js';

const MIB = 1024 * 1024;

export async function createNetworkClient(o: NetworkClientOptions): Promise<NetworkClient> {
  const random = o.random ?? Math.random;
  const requestTimeoutMs = o.requestTimeoutMs ?? 15_000;
  const syncIntervalMs = o.syncIntervalMs ?? 30_000;
  const backoff = o.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 };
  const maxBacklog = o.maxBacklog ?? 32;
  const events = new Emitter<NetworkEvent>();
  const dir = join(o.dataDir, 'network');

  const changed = (): void => publish();
  // Checked before any file is touched: an insecure URL is refused with nothing written.
  const base = checkCoordinatorUrl(o.url);
  const file = await ClientFile.open(join(dir, 'client.json'));
  const deviceId = file.deviceId;
  const link = new CoordinatorLink({
    base,
    file,
    signer: o.signer,
    device: o.device,
    clock: o.clock,
    logger: o.logger,
    requestTimeoutMs,
    maxReplyBytes: o.maxReplyBytes ?? 96 * MIB,
    meter: o.meter ?? new LinkMeter(),
    changed,
  });
  const { url } = link;
  const outbox = new Outbox(join(dir, 'outbox'));
  const loaded = await outbox.list();
  for (const problem of loaded.problems) o.logger.error(problem);

  /** Why no task should be leased now: results that cannot be saved, or too many waiting to be sent. */
  const blocked = (): string | null => {
    const held = submitting.heldBecause();
    if (held) return `new work is paused: ${held}`;
    return submitting.queued >= maxBacklog ? `${submitting.queued} finished results are waiting to be sent first` : null;
  };
  const leasing = new Leasing({
    link,
    events,
    // Leases are paid at the rate of the kind of device this machine registered as (docs/protocol.md, "Leases").
    resource: o.device.deviceType.kind === 'cpu' ? 'cpu' : 'gpu',
    leaseWaitMs: o.leaseWaitMs ?? 25_000,
    requestTimeoutMs,
    minLeaseIntervalMs: o.minLeaseIntervalMs ?? 20,
    blocked,
    changed,
  });
  const submitting = new Submitting({
    link,
    leasing,
    outbox,
    queued: loaded.entries.filter((e) => e.url === url).length,
    deviceId,
    ledger: o.ledger,
    events,
    clock: o.clock,
    logger: o.logger,
    changed,
  });
  const syncReceipts = coalesced(() =>
    fetchReceipts({
      link,
      file,
      ledger: o.ledger,
      owner: ownerOf(o.signer),
      events,
      clock: o.clock,
      afterPage: () => submitting.tellHeld(),
    }).catch((error: unknown) => link.failed(error)),
  );

  const status = (): NetworkStatus => {
    const { info, lastError, retryAt } = link;
    const queued = submitting.queued;
    const label = link.devnet ? DEVNET_LABEL : (info?.network.label ?? url);
    const common = { url, devnet: link.devnet, label, queued, activeLeases: leasing.active, retryAt };
    const results = `${queued} result${queued === 1 ? '' : 's'} queued`;
    const held = submitting.heldBecause();
    if (held) {
      const kept = submitting.held();
      const message = `New work is paused: ${held}. ${kept.words} ${kept.count === 1 ? 'is' : 'are'} kept in memory (results are still sent). ${refusalAdvice(held)}`;
      return { ...common, code: 'error', message };
    }
    if (lastError && !lastError.retryable) return { ...common, code: 'error', message: lastError.message };
    if (lastError) {
      const wait = retryAt === null ? '' : ` — retrying in ${Math.max(1, Math.round((retryAt - o.clock.now()) / 1000))} s`;
      return { ...common, code: 'offline', message: `Offline${queued ? `, ${results}` : ''}${wait} (${lastError.message})` };
    }
    if (!info) return { ...common, code: 'connecting', message: `Connecting to ${url}` };
    if (leasing.noWork && leasing.active === 0) return { ...common, code: 'no-work', message: `No work available — ${leasing.noWork}` };
    return { ...common, code: 'connected', message: `Connected to ${label}${queued ? `, ${results}` : ''}` };
  };
  let lastStatus = '';
  function publish(): void {
    const current = status();
    const key = JSON.stringify({ ...current, message: current.code === 'offline' ? link.lastError?.message : current.message });
    if (key === lastStatus) return;
    lastStatus = key;
    events.emit({ type: 'status', status: current });
  }

  // The background sync: flush and receipts on a timer while all is well, with backoff while not.
  let closed = false;
  let loop: NodeJS.Timeout | null = null;
  let attempt = 0;
  const schedule = (ms: number): void => {
    if (closed) return;
    if (loop) clearTimeout(loop);
    loop = setTimeout(() => void tick(), ms);
    loop.unref();
  };
  async function tick(): Promise<void> {
    try {
      if (!link.info) await link.connect();
      await submitting.flush();
      await syncReceipts();
      attempt = 0;
      schedule(syncIntervalMs);
    } catch (error) {
      const wait = backoffMs(attempt++, random, backoff.baseMs, backoff.maxMs);
      if (error instanceof NetworkError) {
        link.retryAt = o.clock.now() + wait;
        publish();
      } else {
        o.logger.error(`network sync failed: ${(error as Error).stack ?? String(error)}`);
        events.emit({ type: 'problem', message: errorText(error) });
      }
      schedule(wait);
    }
  }

  return {
    deviceId,
    url,
    trust: () => ({ deviceId, coordinators: file.coordinators() }),
    status,
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
      if ((await submitting.keep(leaseId, result)) && loop !== null) schedule(0);
    },
    release: (leaseId, reason, message) => leasing.release(leaseId, reason, message),
    flush: submitting.flush,
    syncReceipts,
    start() {
      if (loop === null) schedule(0);
    },
    async close() {
      closed = true;
      if (loop) clearTimeout(loop);
      leasing.stopAll();
      await Promise.all([submitting.flush.idle(), syncReceipts.idle()]);
    },
  };
}
