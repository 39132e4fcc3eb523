import { dirname, join } from 'node:path';
import type { Receipt } from '../common/protocol.js';
import type { Clock, Logger } from '../core/ports.js';
import { deviceRoutes } from './device-routes.js';
import { openPayouts, type PayoutLink } from './payouts.js';
import { payoutRoutes } from './payout-routes.js';
import { ReceiptIssuer } from './receipt-issuer.js';
import { DeviceRegistry } from './registry.js';
import { Pace } from './pace.js';
import { cryptoRandom, type Random } from './random.js';
import { ResultDesk } from './results.js';
import type { RouteContext } from './route-context.js';
import { serveRoutes } from './router.js';
import { devnetModels, Verifier } from './tasks.js';
import { UnfetchedEpochs } from './unfetched-receipts.js';
import { DEFAULT_FLOOR } from './verification.js';
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
  /** The most results one batched submit may carry (16); 0 or 1: none taken, as a coordinator from before batches. */
  maxSubmitBatch?: number;
}

export type { CoordinatorStats } from './work-pool.js';
export type { PayoutLink } from './payouts.js';

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

/** The devices registered and what they are owed, kept across restarts when there is a state file. */
async function openBooks(options: CoordinatorOptions, o: { clock: Pick<Clock, 'now'>; chainId: number; maxLeaseWaitMs: number }) {
  const { clock, chainId } = o;
  const { logger } = options;
  const stateFile = options.stateFile ?? null;
  // Online time: contacts closer together than a long-poll plus margin count as continuous presence.
  const registry = await DeviceRegistry.open({ stateFile, clock, chainId, presenceGapMs: o.maxLeaseWaitMs + 10_000, logger });
  const { wallet } = registry;
  // Receipts are logged beside the state file, so vouchers after a restart still cover everything signed.
  const { payouts, earlier, open } = await openPayouts({
    file: stateFile ? join(dirname(stateFile), 'receipts.jsonl') : null,
    signer: wallet,
    now: () => clock.now(),
    ...(logger ? { logger } : {}),
  });
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
  return { registry, payouts, unfetched, receipts };
}

export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const logger = options.logger;
  const chainId = options.chainId ?? 31337;
  const maxLeaseWaitMs = options.maxLeaseWaitMs ?? 25_000;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const random = options.random ?? cryptoRandom;
  const floor = options.verifyRate ?? DEFAULT_FLOOR;
  // A typo must not switch the checks off: NaN would never draw a check.
  if (!(floor >= 0 && floor <= 1)) throw new Error(`The verify rate must be a share from 0 to 1, not ${options.verifyRate}.`);

  const { registry, payouts, unfetched, receipts } = await openBooks(options, { clock, chainId, maxLeaseWaitMs });
  const { wallet } = registry;

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
  const desk = new ResultDesk({ pool, registry, receipts, verifier, pace, models: modelsBySha, clock, random, floor, logger });
  const context: RouteContext = {
    clock,
    logger,
    chainId,
    maxLeaseWaitMs,
    leaseTtlMs,
    maxSubmitBatch: options.maxSubmitBatch ?? 16,
    registry,
    pool,
    desk,
    receipts,
    payouts,
    unfetched,
    payout: undefined,
  };
  const handlers = { ...deviceRoutes(context), ...payoutRoutes(context) };
  const { server, url } = await serveRoutes({ handlers, models: modelsBySha, pool, logger, port: options.port ?? 0 });
  pool.baseUrl = url;
  if (taskIntervalMs !== null) pool.generate();

  return {
    url: pool.baseUrl,
    address: wallet.address,
    stats: pool.stats,
    addTasks: (count) => pool.addTasks(count),
    receiptsOf: (deviceId) => unfetched.receiptsOf(deviceId),
    attachPayout: (link) => (context.payout = link),
    async close() {
      pool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await verifier.close();
    },
  };
}
