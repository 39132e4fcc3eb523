import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DEVNET_LABEL, type NetworkStatus } from '../../common/network.js';
import {
  Address,
  eip712Domain,
  HeartbeatReplySchema,
  InfoReplySchema,
  LeaseReplySchema,
  REGISTRATION_TYPES,
  ReceiptsReplySchema,
  RegisterReplySchema,
  ReleaseReplySchema,
  ROUTES,
  SubmitReplySchema,
  VoucherReplySchema,
  type DeviceInfo,
  type InfoReply,
  type NoWorkReason,
  type ComputeResource,
  type Registration,
  type SignedReceipt,
  type TypedDataDomain,
  type TypedDataTypes,
} from '../../common/protocol.js';
import { ReleaseReasonSchema, type ReleaseReason, type Task, type TaskResult } from '../../common/task.js';
import type { ChainSettings, Voucher } from '../../common/wallet.js';
import { coalesced } from '../coalesced.js';
import { Emitter } from '../events.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { diskRefusal } from '../fs/disk-refusal.js';
import type { Ledger } from '../ledger/ledger.js';
import type { LedgerTrust } from '../ledger/trust.js';
import type { Clock, Logger } from '../ports.js';
import { backoffMs, checkCoordinatorUrl, NetworkError, requestJson } from './http.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { receiptProblem } from './receipts.js';

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
  /** What the hardware probe found; the id and owner are added here. */
  device: Omit<DeviceInfo, 'deviceId' | 'owner'>;
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
  | { kind: 'task'; leaseId: string; task: Task }
  | { kind: 'none'; reason: NoWorkReason; message: string; retryAfterMs: number };

export type NetworkEvent =
  | { type: 'status'; status: NetworkStatus }
  | { type: 'leased'; leaseId: string; taskId: string }
  | { type: 'heartbeat'; leaseId: string; status: 'active' | 'gone' }
  /** The coordinator no longer wants this lease's result (expired or done elsewhere): stop working on it. */
  | { type: 'gone'; leaseId: string; taskId: string }
  /** A finished result is on disk (fsynced) and will be submitted until acknowledged. */
  | { type: 'queued'; taskId: string }
  | { type: 'submitted'; taskId: string; status: 'accepted' | 'duplicate' | 'too-late' }
  | { type: 'receipt'; receipt: SignedReceipt }
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

const CoordinatorStateSchema = z
  .object({
    coordinator: Address,
    chainId: z.number().int(),
    token: z.string().nullable(),
    cursor: z.number().int().nonnegative(),
    /** The signed time of the last registration: the next one must be later (files from before v2 have none). */
    registeredAt: z.number().int().nonnegative().default(0),
  })
  .strict();
/** client.json; file-repair.ts sets aside a file this does not accept. */
export const ClientStateSchema = z
  .object({ deviceId: z.string().min(1).max(128), coordinators: z.record(z.string(), CoordinatorStateSchema) })
  .strict();
type ClientState = z.infer<typeof ClientStateSchema>;

interface ActiveLease {
  task: Task;
  progress: number;
  timer: NodeJS.Timeout;
}

const MIB = 1024 * 1024;

/** "1 finished result", "3 finished results", or null for none. */
const count = (n: number, what: string): string | null => (n === 0 ? null : `${n} ${what}${n === 1 ? '' : 's'}`);

export async function createNetworkClient(o: NetworkClientOptions): Promise<NetworkClient> {
  const base = checkCoordinatorUrl(o.url);
  const url = base.href;
  const dir = join(o.dataDir, 'network');
  const stateFile = join(dir, 'client.json');
  const random = o.random ?? Math.random;
  const requestTimeoutMs = o.requestTimeoutMs ?? 15_000;
  const leaseWaitMs = o.leaseWaitMs ?? 25_000;
  // Leases are paid at the rate of the kind of device this machine registered as (docs/protocol.md, "Leases").
  const resource: ComputeResource = o.device.deviceType.kind === 'cpu' ? 'cpu' : 'gpu';
  const syncIntervalMs = o.syncIntervalMs ?? 30_000;
  const backoff = o.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 };
  const maxReplyBytes = o.maxReplyBytes ?? 96 * MIB;
  const maxBacklog = o.maxBacklog ?? 32;
  const minLeaseIntervalMs = o.minLeaseIntervalMs ?? 20;
  const events = new Emitter<NetworkEvent>();
  const outbox = new Outbox(join(dir, 'outbox'));

  let state: ClientState = await readFile(stateFile, 'utf8').then(
    (text) => ClientStateSchema.parse(JSON.parse(text)),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return { deviceId: `dev-${randomUUID()}`, coordinators: {} };
      throw error;
    },
  );
  const saveState = (next: ClientState): Promise<void> => {
    state = next;
    return writeFileAtomic(stateFile, JSON.stringify(next));
  };
  await saveState(state);
  const deviceId = state.deviceId;

  const loaded = await outbox.load();
  for (const problem of loaded.problems) o.logger.error(problem);
  let queued = loaded.entries.filter((e) => e.url === url).length;

  let info: InfoReply | null = null;
  let offsetMs = 0; // coordinator clock − ours
  let lastError: NetworkError | null = null;
  let noWork: string | null = null;
  let retryAt: number | null = null;
  let closed = false;
  const leases = new Map<string, ActiveLease>();
  let lastStatus = '';
  /** Leases in a row that ended with no result taken (gone, too late): a coordinator with 1 ms leases is not stormed. */
  let lostLeases = 0;
  let lastLeaseAt = Number.NEGATIVE_INFINITY;

  /** Why finished work is kept in memory only (the disk refused results or earnings records), or null when all is saved. */
  const heldBecause = (): string | null => outbox.heldBecause() ?? o.ledger.heldBecause();
  /** Said once when the disk first refuses finished work, and once when all of it is saved again. */
  let toldHeld = false;
  const tellHeld = (): void => {
    const why = heldBecause();
    if ((why !== null) === toldHeld) return;
    toldHeld = why !== null;
    const message =
      why !== null
        ? `Finished work cannot be saved (${why}): results and earnings records are kept in memory, results are still sent, and new work is paused until there is room.`
        : 'There is room on the disk again: every finished result and earnings record is saved, and new work goes on.';
    if (why !== null) o.logger.error(message);
    events.emit({ type: 'problem', message });
    publish();
  };

  const status = (): NetworkStatus => {
    const devnet = info?.network.devnet ?? false;
    const label = devnet ? DEVNET_LABEL : (info?.network.label ?? url);
    const common = { url, devnet, label, queued, activeLeases: leases.size, retryAt };
    const results = `${queued} result${queued === 1 ? '' : 's'} queued`;
    const held = heldBecause();
    if (held) {
      const [results, records] = [outbox.heldCount(), o.ledger.heldCount()];
      const kept = [count(results, 'finished result'), count(records, 'earnings record')].filter((k) => k !== null).join(' and ');
      const message = `New work is paused: ${held}. ${kept} ${results + records === 1 ? 'is' : 'are'} kept in memory (results are still sent); free some disk space to go on.`;
      return { ...common, code: 'error', message };
    }
    if (lastError && !lastError.retryable) return { ...common, code: 'error', message: lastError.message };
    if (lastError) {
      const wait = retryAt === null ? '' : ` — retrying in ${Math.max(1, Math.round((retryAt - o.clock.now()) / 1000))} s`;
      return { ...common, code: 'offline', message: `Offline${queued ? `, ${results}` : ''}${wait} (${lastError.message})` };
    }
    if (!info) return { ...common, code: 'connecting', message: `Connecting to ${url}` };
    if (noWork && leases.size === 0) return { ...common, code: 'no-work', message: `No work available — ${noWork}` };
    return { ...common, code: 'connected', message: `Connected to ${label}${queued ? `, ${results}` : ''}` };
  };
  const publish = (): void => {
    const current = status();
    const key = JSON.stringify({ ...current, message: current.code === 'offline' ? lastError?.message : current.message });
    if (key === lastStatus) return;
    lastStatus = key;
    events.emit({ type: 'status', status: current });
  };
  /** Shows a network failure in the status, then passes it on. */
  const failed = (error: unknown): never => {
    if (error instanceof NetworkError) {
      lastError = error;
      retryAt = null;
      publish();
    }
    throw error;
  };

  const coordinatorState = () => state.coordinators[url];
  const serverNow = (): number => Math.round(o.clock.now() + offsetMs);

  async function call<T>(path: string, schema: z.ZodType<T & { serverTime: number }>, method: 'GET' | 'POST', body?: unknown, extra?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
    const sent = o.clock.now();
    const reply = await requestJson(new URL(path, base), {
      method,
      body,
      token: coordinatorState()?.token ?? null,
      timeoutMs: extra?.timeoutMs ?? requestTimeoutMs,
      maxBytes: path === ROUTES.lease ? maxReplyBytes : Math.min(maxReplyBytes, 4 * MIB),
      schema,
      ...(extra?.signal ? { signal: extra.signal } : {}),
    });
    // Skew from the midpoint of the exchange; a long-poll's midpoint is unknown, so it does not count.
    if (path !== ROUTES.lease) offsetMs = reply.serverTime - (sent + o.clock.now()) / 2;
    if (lastError) {
      lastError = null;
      retryAt = null;
      publish();
    }
    return reply;
  }

  // One at a time: two first contacts at once (background sync, a lease, a voucher) registered twice with the
  // same signed time, and the coordinator refused the second as a replay.
  const connect = coalesced(connectNow);
  async function connectNow(): Promise<InfoReply> {
    try {
      const reply = await call(ROUTES.info, InfoReplySchema, 'GET');
      const pinned = coordinatorState();
      if (pinned && (pinned.coordinator.toLowerCase() !== reply.coordinator.toLowerCase() || pinned.chainId !== reply.chainId)) {
        throw new NetworkError(
          'COORDINATOR_CHANGED',
          `The coordinator at ${url} now signs with ${reply.coordinator} (chain ${reply.chainId}), not ${pinned.coordinator} (chain ${pinned.chainId}) as before; its receipts are not trusted. Choose another coordinator URL in Settings.`,
        );
      }
      info = reply;
      if (!pinned?.token) await registerInTurn(reply);
      publish();
      return reply;
    } catch (error) {
      return failed(error);
    }
  }

  // Registrations go one after another, each signed after the one before was saved: two calls finding the device
  // forgotten at once would otherwise sign the same time, and the second would be refused as a replay.
  let registrations: Promise<unknown> = Promise.resolve();
  function registerInTurn(reply: InfoReply): Promise<void> {
    const next = registrations.then(() => register(reply));
    registrations = next.catch(() => undefined);
    return next;
  }

  async function register(reply: InfoReply): Promise<void> {
    const device: DeviceInfo = { deviceId, owner: o.signer.address, ...o.device };
    // Bound to this coordinator, and later than any registration before it (the coordinator refuses replays).
    const issuedAt = Math.max(serverNow(), (coordinatorState()?.registeredAt ?? 0) + 1);
    const registration: Registration = { deviceId, owner: o.signer.address, coordinator: reply.coordinator, info: JSON.stringify(device), issuedAt };
    const signature = await o.signer.signTypedData(eip712Domain(reply.chainId), REGISTRATION_TYPES, registration);
    const registered = await call(ROUTES.register, RegisterReplySchema, 'POST', { registration, signature });
    const previous = coordinatorState();
    await saveState({
      ...state,
      coordinators: {
        ...state.coordinators,
        [url]: { coordinator: reply.coordinator, chainId: reply.chainId, token: registered.deviceToken, cursor: previous?.cursor ?? 0, registeredAt: issuedAt },
      },
    });
    o.logger.info(`registered device ${deviceId} for ${o.signer.address} with ${url}`);
  }

  /** Runs a device-authenticated call, registering again once if the coordinator forgot this device. */
  async function authed<T>(run: () => Promise<T>): Promise<T> {
    if (!info || !coordinatorState()?.token) await connect();
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof NetworkError) || error.code !== 'UNREGISTERED' || !info) throw error;
      await registerInTurn(info);
      return run();
    }
  }

  const stopLease = (leaseId: string): ActiveLease | undefined => {
    const lease = leases.get(leaseId);
    if (lease) clearInterval(lease.timer);
    leases.delete(leaseId);
    return lease;
  };

  const heartbeat = async (leaseId: string): Promise<void> => {
    const lease = leases.get(leaseId);
    if (!lease) return;
    try {
      const reply = await call(ROUTES.heartbeat(leaseId), HeartbeatReplySchema, 'POST', { progress: lease.progress });
      events.emit({ type: 'heartbeat', leaseId, status: reply.status });
      if (reply.status === 'gone' && leases.has(leaseId)) {
        lostLeases++;
        stopLease(leaseId);
        events.emit({ type: 'gone', leaseId, taskId: lease.task.id });
        publish();
      }
    } catch (error) {
      // The next beat tries again; meanwhile the status says why.
      if (error instanceof NetworkError) {
        lastError = error;
        publish();
      }
    }
  };

  /** Why no task should be leased now: results that cannot be saved, or too many waiting to be sent. */
  const leaseBlocked = (): string | null => {
    const held = heldBecause();
    if (held) return `new work is paused: ${held}`;
    return queued >= maxBacklog ? `${queued} finished results are waiting to be sent first` : null;
  };

  async function lease(signal?: AbortSignal): Promise<LeaseOutcome> {
    const blocked = leaseBlocked();
    if (blocked) {
      noWork = blocked;
      publish();
      return { kind: 'none', reason: 'paused', message: blocked, retryAfterMs: 5_000 };
    }
    const wait = lastLeaseAt + Math.min(30_000, minLeaseIntervalMs * 2 ** Math.min(lostLeases, 8)) - performance.now();
    if (wait > 0) await pause(wait, signal ?? AbortSignal.any([]));
    lastLeaseAt = performance.now();
    try {
      const reply = await authed(() =>
        call(ROUTES.lease, LeaseReplySchema, 'POST', { waitMs: Math.min(leaseWaitMs, info?.maxLeaseWaitMs ?? leaseWaitMs), resource }, {
          timeoutMs: leaseWaitMs + requestTimeoutMs,
          ...(signal ? { signal } : {}),
        }),
      );
      if (reply.kind === 'none') {
        noWork = reply.message;
        publish();
        return { kind: 'none', reason: reply.reason, message: reply.message, retryAfterMs: reply.retryAfterMs };
      }
      noWork = null;
      // Deadlines are coordinator time; the scheduler compares them with this machine's clock.
      const task: Task = { ...reply.task, deadline: Math.round(reply.task.deadline - offsetMs) };
      const every = Math.max(250, Math.floor(reply.leaseTtlMs / 3));
      const timer = setInterval(() => void heartbeat(reply.leaseId), every);
      timer.unref();
      leases.set(reply.leaseId, { task, progress: 0, timer });
      events.emit({ type: 'leased', leaseId: reply.leaseId, taskId: task.id });
      publish();
      return { kind: 'task', leaseId: reply.leaseId, task };
    } catch (error) {
      return failed(error);
    }
  }

  /** The result will never be taken: it leaves the outbox, the lease goes back, and the user is told why. */
  async function abandon(entry: OutboxEntry, why: string): Promise<void> {
    await outbox.remove(entry.result.taskId);
    queued--;
    lostLeases++;
    const message = `The network refused the result of task ${entry.result.taskId} (${why}); it was given back and will not be sent again.`;
    o.logger.warn(message);
    events.emit({ type: 'problem', message });
    publish();
    stopLease(entry.leaseId);
    // Best effort, and not the status line's business: the lease ends by itself if this does not get through.
    await giveBack(entry.leaseId, 'runtime-error', `result refused: ${why}`).catch((error: unknown) =>
      o.logger.warn(`could not give back the lease of task ${entry.result.taskId}: ${(error as Error).message}`),
    );
  }

  async function submitAll(): Promise<number> {
    await outbox.writeHeld();
    await o.ledger.writeHeld();
    tellHeld();
    const { entries } = await outbox.load();
    const mine = entries.filter((e) => e.url === url);
    queued = mine.length;
    let refused: NetworkError | null = null;
    for (const entry of mine) {
      let reply: z.infer<typeof SubmitReplySchema>;
      try {
        reply = await authed(() => call(ROUTES.submit, SubmitReplySchema, 'POST', { leaseId: entry.leaseId, result: entry.result }));
      } catch (error) {
        if (!(error instanceof NetworkError) || error.retryable) throw error;
        // The coordinator's own 4xx answer to this result: sending the same bytes again cannot change it.
        if (error.code === 'REJECTED') await abandon(entry, error.message);
        // Anything else (this device or coordinator refused as a whole) must not hold up the others; tried next round.
        else refused ??= error;
        continue;
      }
      lostLeases = reply.status === 'too-late' ? lostLeases + 1 : 0;
      if (reply.status !== 'too-late') {
        const pinned = coordinatorState();
        await o.ledger.append({
          kind: 'submitted',
          at: o.clock.now(),
          source: { url, devnet: info?.network.devnet ?? false, coordinator: pinned?.coordinator ?? '0x0000000000000000000000000000000000000000' },
          taskId: entry.result.taskId,
          deviceId: entry.deviceId,
          estimateWei: entry.estimateWei,
        });
        // Held in memory when the disk is full: the result is in, and its receipt comes by the cursor whatever happens.
        tellHeld();
      } else {
        o.logger.warn(`result for task ${entry.result.taskId} came too late; the coordinator no longer wants it`);
      }
      await outbox.remove(entry.result.taskId);
      queued--;
      events.emit({ type: 'submitted', taskId: entry.result.taskId, status: reply.status });
      publish();
    }
    if (refused) throw refused;
    return queued;
  }
  const flush = coalesced(() => submitAll().catch((error: unknown) => failed(error)));

  async function fetchReceipts(): Promise<number> {
    let added = 0;
    for (let page = 0; page < 100; page++) {
      const pinned = coordinatorState();
      if (!pinned) return added;
      const reply = await authed(() => call(ROUTES.receipts(pinned.cursor), ReceiptsReplySchema, 'GET'));
      let cursor = pinned.cursor;
      let problem: string | null = null;
      for (const signed of reply.receipts) {
        if (signed.receipt.seq <= cursor) continue;
        problem = receiptProblem(signed, { chainId: pinned.chainId, coordinator: pinned.coordinator, deviceId, owner: o.signer.address });
        if (problem) break;
        const source = { url, devnet: info?.network.devnet ?? false, coordinator: pinned.coordinator };
        if (await o.ledger.append({ kind: 'receipt', at: o.clock.now(), source, signed })) {
          added++;
          events.emit({ type: 'receipt', receipt: signed });
        }
        // Held in memory (disk full): counted, but fetched again should the app stop before it is written.
        if (o.ledger.heldCount() === 0) cursor = signed.receipt.seq;
      }
      const held = o.ledger.heldCount() > 0;
      tellHeld();
      // The cursor moves only past receipts that verified and are on disk in the ledger. A full disk may refuse to
      // save it: then the receipts after the one saved come again after a restart, and are skipped.
      if (cursor !== pinned.cursor) {
        await saveState({ ...state, coordinators: { ...state.coordinators, [url]: { ...pinned, cursor } } }).catch((error: unknown) => {
          if (diskRefusal(error) === null) throw error;
        });
      }
      if (problem) throw new NetworkError('BAD_RECEIPT', `A receipt from the coordinator was refused: ${problem}.`);
      if (held || cursor === pinned.cursor) return added;
    }
    return added;
  }
  const syncReceipts = coalesced(() => fetchReceipts().catch((error: unknown) => failed(error)));

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
      if (!info) await connect();
      await flush();
      await syncReceipts();
      attempt = 0;
      schedule(syncIntervalMs);
    } catch (error) {
      const wait = backoffMs(attempt++, random, backoff.baseMs, backoff.maxMs);
      if (error instanceof NetworkError) {
        retryAt = o.clock.now() + wait;
        publish();
      } else {
        o.logger.error(`network sync failed: ${(error as Error).stack ?? String(error)}`);
        events.emit({ type: 'problem', message: (error as Error).message });
      }
      schedule(wait);
    }
  }

  const giveBack = (leaseId: string, reason: ReleaseReason, message: string) =>
    authed(() => call(ROUTES.release, ReleaseReplySchema, 'POST', { leaseId, reason, message: message.slice(0, 500) }));

  async function release(leaseId: string, reason: ReleaseReason, message: string): Promise<void> {
    stopLease(leaseId);
    publish();
    try {
      await giveBack(leaseId, reason, message);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      lastError = error;
      publish();
    }
  }

  return {
    deviceId,
    url,
    trust: () => ({ deviceId, coordinators: Object.values(state.coordinators) }),
    status,
    subscribe: (listener) => events.subscribe(listener),
    connect,
    lease,
    voucher: async () => (await authed(() => call(ROUTES.voucher, VoucherReplySchema, 'GET'))).voucher,
    async pinned() {
      if (!info || !coordinatorState()?.token) await connect();
      const pinned = coordinatorState();
      if (!info || !pinned) throw new NetworkError('UNREGISTERED', `This device is not registered with ${url} yet.`);
      return { coordinator: pinned.coordinator, chainId: pinned.chainId, payout: info.payout ?? null };
    },
    progress(leaseId, fraction) {
      const lease = leases.get(leaseId);
      if (lease) lease.progress = Math.min(1, Math.max(0, fraction));
    },
    async complete(leaseId, result) {
      const lease = stopLease(leaseId);
      const entry: OutboxEntry = {
        version: 1,
        url,
        deviceId,
        leaseId,
        result,
        estimateWei: lease?.task.rewardEstimateWei ?? '0',
        finishedAt: o.clock.now(),
      };
      const put = await outbox.put(entry);
      if (!put.ok) {
        // Never dropped in silence: the task goes back with the reason, and the user sees it.
        const message = `The result of task ${result.taskId} could not be kept: ${put.message}. The task was given back.`;
        o.logger.error(message);
        events.emit({ type: 'problem', message });
        return release(leaseId, 'runtime-error', `result not kept: ${put.message}`);
      }
      tellHeld();
      queued++;
      events.emit({ type: 'queued', taskId: result.taskId });
      publish();
      if (loop !== null) schedule(0);
    },
    release,
    flush,
    syncReceipts,
    start() {
      if (loop === null) schedule(0);
    },
    async close() {
      closed = true;
      if (loop) clearTimeout(loop);
      for (const id of [...leases.keys()]) stopLease(id);
      await Promise.all([flush.idle(), syncReceipts.idle()]);
    },
  };
}

/** Why a task could not be run, carried by the error an executor throws; anything else is a runtime error. */
export class TaskFailure extends Error {
  constructor(
    readonly reason: ReleaseReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ContributeOptions {
  client: NetworkClient;
  /** Runs one task (the scheduler/runtime); the signal aborts when the lease is gone or the loop stops. */
  execute(task: Task, signal: AbortSignal): Promise<TaskResult>;
  signal: AbortSignal;
  random?: () => number;
  backoff?: { baseMs: number; maxMs: number };
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The simplest task source loop: lease → execute → complete (or release), with backoff while the network fails. */
export async function contribute(c: ContributeOptions): Promise<void> {
  const random = c.random ?? Math.random;
  const backoff = c.backoff ?? { baseMs: 1_000, maxMs: 5 * 60_000 };
  let attempt = 0;
  while (!c.signal.aborted) {
    let outcome: LeaseOutcome;
    try {
      outcome = await c.client.lease(c.signal);
      attempt = 0;
    } catch (error) {
      if (c.signal.aborted) break;
      if (!(error instanceof NetworkError)) throw error;
      await pause(backoffMs(attempt++, random, backoff.baseMs, backoff.maxMs), c.signal);
      continue;
    }
    if (outcome.kind === 'none') {
      // A hostile or broken coordinator must not make this a busy loop.
      await pause(Math.max(250, outcome.retryAfterMs), c.signal);
      continue;
    }
    const { leaseId, task } = outcome;
    const gone = new AbortController();
    const off = c.client.subscribe((e) => {
      if (e.type === 'gone' && e.leaseId === leaseId) gone.abort();
    });
    try {
      const result = await c.execute(task, AbortSignal.any([c.signal, gone.signal]));
      await c.client.complete(leaseId, result);
    } catch (error) {
      if (!gone.signal.aborted) {
        // Whoever stops the loop says why in the abort reason (e.g. 'policy-pause'); otherwise it is a shutdown.
        const stopped = ReleaseReasonSchema.safeParse(c.signal.reason);
        const reason = error instanceof TaskFailure ? error.reason : c.signal.aborted ? (stopped.success ? stopped.data : 'shutdown') : 'runtime-error';
        await c.client.release(leaseId, reason, (error as Error).message);
      }
    } finally {
      off();
    }
  }
}
