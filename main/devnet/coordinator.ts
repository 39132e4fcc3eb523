import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { errorText } from '../common/result.js';
import { DEVNET_LABEL } from '../common/network.js';
import {
  HeartbeatRequestSchema,
  LeaseRequestSchema,
  PROTOCOL_VERSION,
  ReleaseRequestSchema,
  SubmitRequestSchema,
  EPOCH_MAX_RECEIPTS,
  type ErrorReply,
  type InfoReply,
  type LeaseReply,
  type Receipt,
  type ReceiptsReply,
  type VoucherReply,
} from '../common/protocol.js';
import { DelegatedRegisterRequestSchema, RevokeRequestSchema, type OwnerEpochsReply, type RevokeReply } from '../common/delegation.js';
import type { Clock, Logger } from '../core/ports.js';
import { HttpError, parse, readBody } from './http-util.js';
import { openPayouts, type PayoutLink } from './payouts.js';
import { ReceiptIssuer } from './receipt-issuer.js';
import { DeviceRegistry, type Device } from './registry.js';
import { Pace } from './pace.js';
import { cryptoRandom, type Random } from './random.js';
import { ResultDesk } from './results.js';
import { reputation } from './standing.js';
import { devnetModels, Verifier } from './tasks.js';
import { UnfetchedEpochs } from './unfetched-receipts.js';
import { DEFAULT_FLOOR, quarantineRefusal } from './verification.js';
import { WorkPool, type CoordinatorStats } from './work-pool.js';

/**
 * The local devnet coordinator: the provider protocol (docs/protocol.md) on 127.0.0.1, handing out real ONNX
 * tasks, recomputing results to verify them, and paying signed test rewards at the seed's rates.
 */
export interface CoordinatorOptions {
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
  port?: number;
  /** Keeps the signing key and registered devices across restarts; null keeps everything in memory. */
  stateFile?: string | null;
  chainId?: number;
  leaseTtlMs?: number;
  maxLeaseWaitMs?: number;
  /**
   * Where tasks come from. Left out: on demand, a fresh task for every lease, so a device is kept as busy as its
   * share lets it be. A number: a new task every this many ms while fewer than `maxOpenTasks` wait. null: only `addTasks`.
   */
  taskIntervalMs?: number | null;
  maxOpenTasks?: number;
  taskDeadlineMs?: number;
  /**
   * The share of results recomputed with onnxruntime (0–1) for a device with a long clean record; a new one has every
   * result checked (verification.ts). 0: no result is ever checked, all are paid as `unverified` (benches only).
   */
  verifyRate?: number;
  /** Draws which results are checked and the tasks' sizes; seeded in tests so a run replays. */
  random?: Random;
  /** An availability receipt for every this much online time. */
  availabilityReceiptMs?: number;
  /** How long an epoch stays open before the next fetch or receipt seals it (0: every fetch seals). */
  epochMs?: number;
}

export type { CoordinatorStats } from './work-pool.js';
export type { PayoutLink } from './payouts.js';

/** How long a voucher may be claimed; an expired one is simply replaced by the next request. */
const VOUCHER_TTL_S = 3600;

export interface Coordinator {
  url: string;
  address: string;
  stats: CoordinatorStats;
  addTasks(count: number): void;
  /** The device's receipts in sealed epochs it has not fetched yet. */
  receiptsOf(deviceId: string): Receipt[];
  /** From now on: serve vouchers at GET /v1/voucher and fund registering owners. */
  attachPayout(link: PayoutLink): void;
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const now = (): number => clock.now();
  const logger = options.logger;
  const chainId = options.chainId ?? 31337;
  const maxLeaseWaitMs = options.maxLeaseWaitMs ?? 25_000;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const random = options.random ?? cryptoRandom;
  const floor = options.verifyRate ?? DEFAULT_FLOOR;
  // A typo must not switch the checks off: NaN would never draw a check.
  if (!(floor >= 0 && floor <= 1)) throw new Error(`The verify rate must be a share from 0 to 1, not ${options.verifyRate}.`);
  const stateFile = options.stateFile ?? null;

  // Online time: contacts closer together than a long-poll plus margin count as continuous presence.
  const registry = await DeviceRegistry.open({ stateFile, clock, chainId, presenceGapMs: maxLeaseWaitMs + 10_000 });
  const { wallet, devices } = registry;
  // Receipts are logged beside the state file, so vouchers after a restart still cover everything signed.
  const { payouts, earlier, open } = await openPayouts({
    file: stateFile ? join(dirname(stateFile), 'receipts.jsonl') : null,
    signer: wallet,
    now,
    ...(logger ? { logger } : {}),
  });
  // A receipt logged just before a crash may be newer than the state file's count.
  for (const [id, d] of devices) d.nextSeq = Math.max(d.nextSeq, payouts.lastIssued(id) + 1);
  const unfetched = new UnfetchedEpochs();
  for (const bundle of earlier) unfetched.add(bundle);
  const receipts = new ReceiptIssuer({
    wallet,
    chainId,
    clock,
    payouts,
    unfetched,
    open,
    availabilityReceiptMs: options.availabilityReceiptMs ?? 10 * 60_000,
    epochMs: options.epochMs ?? 60_000,
  });

  const models = devnetModels();
  const modelsBySha = new Map(models.map((m) => [m.sha256, m]));
  const verifier = new Verifier();
  const taskIntervalMs = options.taskIntervalMs ?? null;
  const pace = new Pace();
  const pool = new WorkPool({
    models,
    clock,
    leaseTtlMs,
    maxLeaseWaitMs,
    maxOpenTasks: options.maxOpenTasks ?? 4,
    taskDeadlineMs: options.taskDeadlineMs ?? 10 * 60_000,
    taskIntervalMs,
    onDemand: options.taskIntervalMs === undefined,
    pace,
    random,
  });
  const desk = new ResultDesk({
    pool,
    registry,
    receipts,
    verifier,
    pace,
    models: modelsBySha,
    clock,
    random,
    floor,
    logger,
  });
  // Sealing changes the device's unpaid bytes, which the state file keeps.
  const sealIfDue = async (deviceId: string, device: Device): Promise<void> => {
    await receipts.sealIfDue(deviceId, device, (open) => desk.sealable(deviceId, open));
    await registry.save();
  };
  let payout: PayoutLink | undefined;
  const ownedBy = (owner: string): [string, Device][] => [...devices].filter(([, d]) => d.info.owner.toLowerCase() === owner.toLowerCase());

  const handlers: Record<string, (req: IncomingMessage, rest: string, url: URL) => Promise<unknown>> = {
    'GET v1/info': async (): Promise<InfoReply> => ({
      protocol: PROTOCOL_VERSION,
      network: { name: 'devnet', devnet: true, label: DEVNET_LABEL },
      coordinator: wallet.address,
      chainId,
      serverTime: now(),
      maxLeaseWaitMs,
      ...(payout ? { payout: payout.settings } : {}),
    }),
    'POST v1/devices/register': async (req) => {
      const { token, device } = await registry.register(parse(DelegatedRegisterRequestSchema, (await readBody(req)).value));
      const { deviceId, owner } = device.info;
      logger?.info(`devnet: device ${deviceId} registered to ${owner}`);
      payout?.fund(owner).catch((error: unknown) => logger?.warn(`devnet: could not fund ${owner}: ${errorText(error)}`));
      return { deviceToken: token, reputation: reputation(device.standing, now()), serverTime: now() };
    },
    'POST v1/lease': async (req) => {
      const [deviceId, device] = registry.authenticate(req);
      const { waitMs, resource } = parse(LeaseRequestSchema, (await readBody(req)).value);
      const refusal = quarantineRefusal(device.trust, now());
      if (refusal) {
        // Time online while shut out is never paid.
        device.paidOnlineMs = device.onlineMs;
        return refusal;
      }
      if (await receipts.payAvailability(deviceId, device)) await registry.save();
      const ended = registry.delegationEnded(device);
      if (ended)
        return { kind: 'none', reason: 'not-eligible', message: ended, retryAfterMs: 3_600_000, serverTime: now() } satisfies LeaseReply;
      if (resource === 'gpu' && device.info.deviceType.kind === 'cpu') {
        return {
          kind: 'none',
          reason: 'not-eligible',
          message: 'this device registered as a processor, so it leases processor work.',
          retryAfterMs: 60_000,
          serverTime: now(),
        } satisfies LeaseReply;
      }
      return pool.lease(req, deviceId, device.info, waitMs, resource);
    },
    'POST v1/leases': async (req, rest) => {
      const [deviceId] = registry.authenticate(req);
      const match = /^([A-Za-z0-9._:-]+)\/heartbeat$/.exec(rest);
      if (!match) throw new HttpError(404, 'not-found', 'No such route.');
      parse(HeartbeatRequestSchema, (await readBody(req)).value);
      return pool.heartbeat(deviceId, match[1]!)
        ? { status: 'active', leaseTtlMs, serverTime: now() }
        : { status: 'gone', leaseTtlMs: 0, serverTime: now() };
    },
    'POST v1/submit': async (req) => {
      const [deviceId, device] = registry.authenticate(req);
      const body = await readBody(req);
      const { leaseId, result } = parse(SubmitRequestSchema, body.value);
      return { status: await desk.submit(deviceId, device, leaseId, result, body.bytes), serverTime: now() };
    },
    'POST v1/release': async (req) => {
      const [deviceId] = registry.authenticate(req);
      const { leaseId, reason } = parse(ReleaseRequestSchema, (await readBody(req)).value);
      return { status: pool.release(deviceId, leaseId, reason) ? 'released' : 'unknown', serverTime: now() };
    },
    'GET v1/voucher': async (req): Promise<VoucherReply> => {
      const [deviceId, device] = registry.authenticate(req);
      if (!payout) throw new HttpError(404, 'no-payout', 'This coordinator has no payout contract yet.');
      // One voucher for every device of the owner (its own and its members'), each sealed first.
      const owned = ownedBy(device.info.owner);
      for (const [id, d] of owned) await sealIfDue(id, d);
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
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      if (!Number.isSafeInteger(cursor) || cursor < 0) throw new HttpError(400, 'bad-request', 'cursor must be a non-negative integer.');
      // Only the same owner's devices: another owner's earnings are none of its business.
      const target = ownedBy(asker.info.owner).find(([id]) => id === deviceId)?.[1];
      if (!target) throw new HttpError(404, 'not-found', 'No device of this owner has that id.');
      await sealIfDue(deviceId, target);
      const epochs = payouts.epochsAfter(deviceId, cursor, 256);
      return { epochs, nextCursor: epochs.at(-1)?.epoch.lastSeq ?? cursor, serverTime: now() };
    },
    'GET v1/receipts': async (req, _rest, url) => {
      const [deviceId, device] = registry.authenticate(req);
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      if (!Number.isSafeInteger(cursor) || cursor < 0) throw new HttpError(400, 'bad-request', 'cursor must be a non-negative integer.');
      await sealIfDue(deviceId, device);
      const epochs = unfetched.after(deviceId, cursor, EPOCH_MAX_RECEIPTS);
      return { epochs, nextCursor: epochs.at(-1)?.epoch.lastSeq ?? cursor, serverTime: now() } satisfies ReceiptsReply;
    },
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/+/, '');
    if (req.method === 'GET' && path.startsWith('v1/models/')) {
      const model = modelsBySha.get(path.slice('v1/models/'.length));
      if (!model) throw new HttpError(404, 'not-found', 'No such model.');
      const lease = pool.leases.get(url.searchParams.get('lease') ?? '');
      if (lease) res.once('finish', () => lease.models.add(model.sha256));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.bytes.length });
      res.end(model.bytes);
      return;
    }
    const [head, ...restParts] = path.split('/').slice(1);
    const exact = handlers[`${req.method} ${path}`];
    const prefixed = handlers[`${req.method} v1/${head ?? ''}`];
    const handler = exact ?? prefixed;
    if (!handler) throw new HttpError(404, 'not-found', `No route ${req.method} /${path}.`);
    const body = await handler(req, exact ? '' : restParts.join('/'), url);
    if (res.destroyed || body === undefined) return;
    const text = JSON.stringify(body);
    pool.replied(req, Buffer.byteLength(text));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const e = error instanceof HttpError ? error : new HttpError(500, 'internal', errorText(error));
      if (!(error instanceof HttpError)) logger?.error(`devnet: ${(error as Error).stack ?? String(error)}`);
      if (res.headersSent || res.destroyed) return;
      const reply: ErrorReply = { error: { code: e.code, message: e.message } };
      res.writeHead(e.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  pool.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  if (taskIntervalMs !== null) pool.generate();

  return {
    url: pool.baseUrl,
    address: wallet.address,
    stats: pool.stats,
    addTasks: (count) => pool.addTasks(count),
    receiptsOf: (deviceId) => unfetched.receiptsOf(deviceId),
    attachPayout: (link) => (payout = link),
    async close() {
      pool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await verifier.close();
    },
  };
}
