import { join } from 'node:path';
import { errorText } from '../../common/result.js';
import { DEVNET_LABEL, type NetworkStatus } from '../../common/network.js';
import { refusalAdvice } from '../fs/disk-refusal.js';
import {
  ROUTES,
  VoucherReplySchema,
  type DeviceInfo,
  type InfoReply,
  type NoWorkReason,
  type Epoch,
  type TypedDataDomain,
  type TypedDataTypes,
} from '../../common/protocol.js';
import type { ReleaseReason, Task, TaskResult } from '../../common/task.js';
import type { ChainSettings, Voucher } from '../../common/wallet.js';
import { coalesced } from '../coalesced.js';
import { Emitter } from '../events.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerTrust } from '../ledger/trust.js';
import type { Clock, Logger } from '../ports.js';
import { ClientFile } from './client-file.js';
import { backoffMs, checkCoordinatorUrl, NetworkError } from './http.js';
import { Leasing } from './leasing.js';
import { LinkMeter } from './link-meter.js';
import { CoordinatorLink } from './link.js';
import { Outbox } from './outbox.js';
import { fetchReceipts } from './receipt-sync.js';
import { Submitting } from './submitting.js';

/** What registration needs from the owner's wallet; an ethers `Wallet` satisfies it. */
export interface OwnerSigner {
  readonly address: string;
  signTypedData(domain: TypedDataDomain, types: TypedDataTypes, value: Record<string, unknown>): Promise<string>;
}

export interface NetworkClientOptions {
  /** The coordinator: https, or http on 127.0.0.1/localhost (the embedded devnet). */
  url: string;
  /** Holds the device id, tokens, receipt cursors and the outbox (under `network/`). */
  dataDir: string;
  signer: OwnerSigner;
  /** What the hardware probe found; the id, the owner and the measured link figures are added here. */
  device: Omit<DeviceInfo, 'deviceId' | 'owner' | 'network'>;
  /** Measures the link from the traffic (the runtime's model downloads too, when it shares the meter). */
  meter?: LinkMeter;
  ledger: Ledger;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  random?: () => number;
  /** Per request (the lease long-poll adds its wait on top). */
  requestTimeoutMs?: number;
  leaseWaitMs?: number;
  /** How often queued results and receipts are retried while all is well. */
  syncIntervalMs?: number;
  /** Backoff base and cap for retries after failures. */
  backoff?: { baseMs: number; maxMs: number };
  maxReplyBytes?: number;
  /** Finished results waiting to be sent past which no new task is leased: more would only pile up unsent. */
  maxBacklog?: number;
  /** At least this long between leases (20 ms: a busy device takes 50 a second at most); doubled (up to 30 s) for each lease in a row that ended with no result taken. */
  minLeaseIntervalMs?: number;
}

export type LeaseOutcome =
  { kind: 'task'; leaseId: string; task: Task } | { kind: 'none'; reason: NoWorkReason; message: string; retryAfterMs: number };

export type NetworkEvent =
  | { type: 'status'; status: NetworkStatus }
  | { type: 'leased'; leaseId: string; taskId: string }
  | { type: 'heartbeat'; leaseId: string; status: 'active' | 'gone' }
  /** The coordinator no longer wants this lease's result (expired or done elsewhere): stop working on it. */
  | { type: 'gone'; leaseId: string; taskId: string }
  /** A finished result is on disk (fsynced) and will be submitted until acknowledged. */
  | { type: 'queued'; taskId: string }
  | { type: 'submitted'; taskId: string; status: 'accepted' | 'duplicate' | 'too-late' }
  /** A signed epoch of receipts, checked and in the ledger. */
  | { type: 'epoch'; epoch: Epoch }
  | { type: 'problem'; message: string };

export interface PinnedCoordinator {
  coordinator: string;
  chainId: number;
  payout: ChainSettings | null;
}

export interface NetworkClient {
  readonly deviceId: string;
  /** This device and every coordinator it pinned: what the ledger's lines are checked against. */
  trust(): LedgerTrust;
  readonly url: string;
  status(): NetworkStatus;
  subscribe(listener: (event: NetworkEvent) => void): () => void;
  /** Fetches the coordinator's info and registers the device (EIP-712 signed by the owner) when needed. */
  connect(): Promise<InfoReply>;
  /** Long-polls for a task. The task's deadline is converted to this machine's clock. Throws NetworkError. */
  lease(signal?: AbortSignal): Promise<LeaseOutcome>;
  /** Progress (0–1) sent with the next automatic heartbeat. */
  progress(leaseId: string, fraction: number): void;
  /**
   * Writes the result to disk (fsynced) before anything else, then submits it in the background. One the disk refuses
   * is held in memory (and leasing pauses); one that is not a valid result is given back with the reason.
   */
  complete(leaseId: string, result: TaskResult): Promise<void>;
  /** Gives a task back (policy pause, bad task, …). Best effort: an unreachable coordinator lets the lease expire. */
  release(leaseId: string, reason: ReleaseReason, message: string): Promise<void>;
  /** Submits queued results now; resolves to how many are still queued. Throws NetworkError when it cannot. */
  flush(): Promise<number>;
  /** Fetches new receipts, verifies each (signature, device, reward split) and appends it to the ledger. */
  syncReceipts(): Promise<number>;
  /** The coordinator's voucher for this device's unpaid receipts, to claim on chain; null when nothing is owed. */
  voucher(): Promise<Voucher | null>;
  /** The pinned coordinator key and chain id, and the payout chain its info names (connects first when needed). */
  pinned(): Promise<PinnedCoordinator>;
  /** Runs flush + receipt sync in the background: on a timer while connected, with backoff while not. */
  start(): void;
  close(): Promise<void>;
}

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
      owner: o.signer.address,
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
    lease: (signal) => leasing.lease(signal),
    voucher: async () => (await link.authed(() => link.call(ROUTES.voucher, VoucherReplySchema, 'GET'))).voucher,
    async pinned() {
      if (!link.info || !link.pinned?.token) await link.connect();
      const pinned = link.pinned;
      if (!link.info || !pinned) throw new NetworkError('UNREGISTERED', `This device is not registered with ${url} yet.`);
      return { coordinator: pinned.coordinator, chainId: pinned.chainId, payout: link.info.payout ?? null };
    },
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
