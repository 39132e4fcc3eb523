import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Wallet, verifyTypedData } from 'ethers';
import { z } from 'zod';
import { DEVNET_LABEL } from '../common/network.js';
import {
  DeviceInfoSchema,
  eip712Domain,
  HeartbeatRequestSchema,
  LeaseRequestSchema,
  PROTOCOL_VERSION,
  RECEIPT_TYPES,
  REGISTRATION_TYPES,
  RegisterRequestSchema,
  ReleaseRequestSchema,
  SubmitRequestSchema,
  type DeviceInfo,
  type InfoReply,
  type LeaseReply,
  type ComputeResource,
  type Receipt,
  type SignedReceipt,
} from '../common/protocol.js';
import type { ErrorReply, VoucherReply } from '../common/protocol.js';
import type { ReleaseReason } from '../common/task.js';
import { writeFileAtomic } from '../core/fs/atomic.js';
import { NO_REWARD, rewardWei } from '../core/economics/rewards.js';
import type { Clock, Logger } from '../core/ports.js';
import { openPayouts, type PayoutLink } from './payouts.js';
import { newStanding, recordOnline, recordOutcome, reputation, StandingSchema, uptimeBp, type Standing } from './standing.js';
import { devnetModels, makeTask, Verifier, type IssuedTask } from './tasks.js';
import { UnfetchedReceipts } from './unfetched-receipts.js';

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
   * Share of results recomputed with onnxruntime (0–1); the others are paid as `unverified`. The default spot-checks
   * one in five, since the embedded devnet recomputes on the contributor's own machine.
   */
  verifyRate?: number;
  /** An availability receipt for every this much online time. */
  availabilityReceiptMs?: number;
}

interface Device {
  info: DeviceInfo;
  tokenHash: string;
  standing: Standing;
  registeredAt: number;
  /** The signed time of its last registration: a later one must be newer (no replays). */
  lastRegistrationAt: number;
  lastSeen: number;
  onlineMs: number;
  paidOnlineMs: number;
  nextSeq: number;
}

const StateSchema = z.object({
  key: z.string().regex(/^0x[0-9a-f]{64}$/),
  devices: z.record(
    z.string(),
    z.object({
      info: DeviceInfoSchema,
      tokenHash: z.string(),
      // Devices saved by a v1 devnet have neither: they start a fresh standing.
      standing: StandingSchema.default(newStanding),
      registeredAt: z.number(),
      lastRegistrationAt: z.number().default(0),
      onlineMs: z.number(),
      paidOnlineMs: z.number(),
      nextSeq: z.number(),
    }),
  ),
});

interface Lease {
  id: string;
  issued: IssuedTask;
  deviceId: string;
  /** What it was leased for: the receipt's resource type and rate, whatever the result says ran it. */
  resource: ComputeResource;
  /** Bytes this coordinator served for it (lease reply, model) and received (the result): the bandwidth paid. */
  bytes: number;
  issuedAt: number;
  expiresAt: number;
  /** Its task went back to the pool; a late result is still taken while nobody else finished it. */
  expired: boolean;
}

/** One per task: who submitted it first, so re-sends are recognised. */
interface Outcome {
  deviceId: string;
  /** Past this (plus an hour) a re-send is answered too-late anyway, so the outcome can be forgotten. */
  deadline: number;
}

const OUTCOME_GRACE_MS = 3_600_000;

export interface CoordinatorStats {
  /** taskId → how many times a result was accepted (must never exceed 1). */
  accepted: Map<string, number>;
  duplicates: number;
  rejected: number;
  /** Why each released task was given back. */
  releases: ReleaseReason[];
}

export type { PayoutLink } from './payouts.js';

/** How long a voucher may be claimed; an expired one is simply replaced by the next request. */
const VOUCHER_TTL_S = 3600;

export interface Coordinator {
  url: string;
  address: string;
  stats: CoordinatorStats;
  addTasks(count: number): void;
  receiptsOf(deviceId: string): readonly SignedReceipt[];
  /** From now on: serve vouchers at GET /v1/voucher and fund registering owners. */
  attachPayout(link: PayoutLink): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 32 * 1024 * 1024;
const CLOCK_WINDOW_MS = 10 * 60_000;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The parsed JSON body, and how many bytes it was. */
async function readBody(req: IncomingMessage): Promise<{ value: unknown; bytes: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'too-large', `Request bodies are limited to ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')), bytes: size };
  } catch {
    throw new HttpError(400, 'bad-json', 'The request body is not JSON.');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new HttpError(400, 'bad-request', `Invalid request at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
}

export async function startCoordinator(options: CoordinatorOptions = {}): Promise<Coordinator> {
  const clock = options.clock ?? { now: () => Date.now() };
  const logger = options.logger;
  const chainId = options.chainId ?? 31337;
  const leaseTtlMs = options.leaseTtlMs ?? 30_000;
  const maxLeaseWaitMs = options.maxLeaseWaitMs ?? 25_000;
  const maxOpenTasks = options.maxOpenTasks ?? 4;
  const taskDeadlineMs = options.taskDeadlineMs ?? 10 * 60_000;
  const verifyRate = options.verifyRate ?? 0.2;
  const availabilityReceiptMs = options.availabilityReceiptMs ?? 10 * 60_000;
  const onDemand = options.taskIntervalMs === undefined;
  const taskIntervalMs = options.taskIntervalMs ?? null;
  const stateFile = options.stateFile ?? null;

  const saved = stateFile
    ? await readFile(stateFile, 'utf8').then(
        (text) => StateSchema.parse(JSON.parse(text)),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return null;
          throw error;
        },
      )
    : null;
  const wallet = new Wallet(saved?.key ?? Wallet.createRandom().privateKey);
  const devices = new Map<string, Device>(
    Object.entries(saved?.devices ?? {}).map(([id, d]) => [id, { ...d, lastSeen: 0 }]),
  );
  const save = async (): Promise<void> => {
    if (!stateFile) return;
    const state: z.infer<typeof StateSchema> = {
      key: wallet.privateKey,
      devices: Object.fromEntries([...devices].map(([id, { lastSeen: _, ...d }]) => [id, d])),
    };
    await writeFileAtomic(stateFile, JSON.stringify(state));
  };
  if (!saved) await save();
  // Receipts are logged beside the state file, so vouchers after a restart still cover everything signed.
  const { payouts, earlier } = await openPayouts({
    file: stateFile ? join(dirname(stateFile), 'receipts.jsonl') : null,
    signer: wallet,
    now: () => clock.now(),
    ...(logger ? { logger } : {}),
  });
  // A receipt logged just before a crash may be newer than the state file's count.
  for (const [id, d] of devices) d.nextSeq = Math.max(d.nextSeq, payouts.lastSeq(id) + 1);

  const models = devnetModels();
  const modelsBySha = new Map(models.map((m) => [m.sha256, m]));
  const verifier = new Verifier();
  const open: IssuedTask[] = [];
  const leases = new Map<string, Lease>();
  const outcomes = new Map<string, Outcome>();
  const receipts = new UnfetchedReceipts();
  for (const signed of earlier) receipts.add(signed);
  let payout: PayoutLink | undefined;
  const waiters: { deviceId: string; give: (issued: IssuedTask) => void }[] = [];
  /** Counts a reply's bytes toward the lease it grants. */
  const sent = new WeakMap<IncomingMessage, (bytes: number) => void>();
  const stats: CoordinatorStats = { accepted: new Map(), duplicates: 0, rejected: 0, releases: [] };
  const domain = eip712Domain(chainId);
  let baseUrl = '';

  const addTask = (issued: IssuedTask): void => {
    const waiter = waiters.shift();
    if (waiter) waiter.give(issued);
    else open.push(issued);
  };
  /** GFLOPS each device was seen working at on its results (a moving average), for sizing its next tasks. */
  const pace = new Map<string, number>();
  /** How fast a device works: as seen on its results, else one core of what it registered (a GPU's whole). */
  const speedOf = (deviceId: string, info: DeviceInfo): number =>
    pace.get(deviceId) ?? (info.deviceType.kind === 'cpu' ? info.compute.fp32Gflops / Math.max(1, info.deviceType.threads) : info.compute.fp32Gflops);
  const addTasks = (count: number): void => {
    for (let i = 0; i < count; i++) addTask(makeTask(models, baseUrl, clock.now(), taskDeadlineMs));
  };

  // Expired leases put their task back; leases and tasks past their deadline are dropped.
  const sweep = (): void => {
    const now = clock.now();
    for (const lease of leases.values()) {
      const done = outcomes.has(lease.issued.task.id);
      if (done || lease.issued.task.deadline <= now) leases.delete(lease.id);
      else if (!lease.expired && lease.expiresAt <= now) {
        lease.expired = true;
        addTask(lease.issued);
      }
    }
    for (let i = open.length - 1; i >= 0; i--) if (open[i]!.task.deadline <= now) open.splice(i, 1);
    // Bounded memory for a devnet that runs for weeks inside the app.
    for (const [taskId, outcome] of outcomes) {
      if (outcome.deadline + OUTCOME_GRACE_MS > now) continue;
      outcomes.delete(taskId);
      stats.accepted.delete(taskId);
    }
  };
  const generate = (): void => {
    if (open.length < maxOpenTasks) addTasks(1);
  };
  const timers = [setInterval(sweep, 1_000), ...(taskIntervalMs === null ? [] : [setInterval(generate, taskIntervalMs)])];
  for (const t of timers) t.unref();

  const authenticate = (req: IncomingMessage): [string, Device] => {
    const token = /^Bearer ([0-9a-f]{64})$/.exec(req.headers.authorization ?? '')?.[1];
    const hash = token ? sha256(token) : '';
    for (const [id, device] of devices) {
      if (device.tokenHash === hash) {
        const now = clock.now();
        // Online time: contacts closer together than a long-poll plus margin count as continuous presence.
        if (device.lastSeen && now - device.lastSeen <= maxLeaseWaitMs + 10_000) {
          device.onlineMs += now - device.lastSeen;
          device.standing = recordOnline(device.standing, now - device.lastSeen, now);
        }
        device.lastSeen = now;
        return [id, device];
      }
    }
    throw new HttpError(401, 'unregistered', 'Unknown device token: register this device first.');
  };

  const issueReceipt = async (
    deviceId: string,
    device: Device,
    r: Pick<Receipt, 'taskId' | 'resourceType' | 'status' | 'durationMs'> & { units: bigint },
  ): Promise<void> => {
    const uptime = uptimeBp(device.standing, device.info.availability, clock.now());
    const standing = reputation(device.standing, clock.now());
    const receipt: Receipt = {
      receiptId: randomUUID(),
      seq: device.nextSeq++,
      taskId: r.taskId,
      deviceId,
      owner: device.info.owner,
      resourceType: r.resourceType,
      status: r.status,
      units: r.units.toString(),
      durationMs: r.durationMs,
      uptimeBp: uptime,
      reputation: standing,
      ...(r.status === 'rejected' ? NO_REWARD : rewardWei(r.resourceType, r.units, standing, uptime)),
      issuedAt: clock.now(),
    };
    const signature = await wallet.signTypedData(domain, RECEIPT_TYPES, receipt);
    await payouts.record({ receipt, signature });
    receipts.add({ receipt, signature });
  };

  const payAvailability = async (deviceId: string, device: Device): Promise<void> => {
    const unpaid = device.onlineMs - device.paidOnlineMs;
    if (unpaid < availabilityReceiptMs) return;
    device.paidOnlineMs = device.onlineMs;
    await issueReceipt(deviceId, device, { taskId: '', resourceType: 'availability', status: 'verified', durationMs: unpaid, units: BigInt(unpaid) });
    await save();
  };

  const now = (): number => clock.now();
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
      const { registration, signature } = parse(RegisterRequestSchema, (await readBody(req)).value);
      let signer = '';
      try {
        signer = verifyTypedData(domain, REGISTRATION_TYPES, registration, signature);
      } catch {
        // falls through to the mismatch below
      }
      if (signer.toLowerCase() !== registration.owner.toLowerCase()) {
        throw new HttpError(403, 'bad-signature', 'The registration is not signed by the owner address it names.');
      }
      if (registration.coordinator.toLowerCase() !== wallet.address.toLowerCase()) {
        throw new HttpError(403, 'wrong-coordinator', 'The registration was signed for another coordinator.');
      }
      if (Math.abs(registration.issuedAt - now()) > CLOCK_WINDOW_MS) {
        throw new HttpError(400, 'stale', 'The registration was signed more than 10 minutes from the coordinator time.');
      }
      let info: DeviceInfo;
      try {
        info = parse(DeviceInfoSchema, JSON.parse(registration.info));
      } catch (error) {
        throw error instanceof HttpError ? error : new HttpError(400, 'bad-request', 'The signed device info is not JSON.');
      }
      if (info.deviceId !== registration.deviceId || info.owner.toLowerCase() !== registration.owner.toLowerCase()) {
        throw new HttpError(400, 'bad-request', 'The signed device info names another device or owner.');
      }
      const existing = devices.get(info.deviceId);
      if (existing && existing.info.owner.toLowerCase() !== info.owner.toLowerCase()) {
        throw new HttpError(409, 'device-taken', 'This device id is registered to another owner.');
      }
      if (existing && registration.issuedAt <= existing.lastRegistrationAt) {
        throw new HttpError(409, 'replayed', 'This registration is not newer than the device’s last one; sign a new one.');
      }
      const token = randomBytes(32).toString('hex');
      devices.set(info.deviceId, {
        info,
        tokenHash: sha256(token),
        standing: existing?.standing ?? newStanding(),
        registeredAt: existing?.registeredAt ?? now(),
        lastRegistrationAt: registration.issuedAt,
        lastSeen: now(),
        onlineMs: existing?.onlineMs ?? 0,
        paidOnlineMs: existing?.paidOnlineMs ?? 0,
        nextSeq: existing?.nextSeq ?? 1,
      });
      await save();
      logger?.info(`devnet: device ${info.deviceId} registered to ${info.owner}`);
      if (payout) {
        payout.fund(info.owner).catch((error: unknown) => logger?.warn(`devnet: could not fund ${info.owner}: ${(error as Error).message}`));
      }
      return { deviceToken: token, reputation: reputation(existing?.standing ?? newStanding(), now()), serverTime: now() };
    },
    'POST v1/lease': async (req) => {
      const [deviceId, device] = authenticate(req);
      const { waitMs, resource } = parse(LeaseRequestSchema, (await readBody(req)).value);
      await payAvailability(deviceId, device);
      if (resource === 'gpu' && device.info.deviceType.kind === 'cpu') {
        return { kind: 'none', reason: 'not-eligible', message: 'this device registered as a processor, so it leases processor work.', retryAfterMs: 60_000, serverTime: now() } satisfies LeaseReply;
      }
      const grant = (issued: IssuedTask): LeaseReply => {
        const lease: Lease = { id: randomUUID(), issued, deviceId, resource, bytes: 0, issuedAt: now(), expiresAt: now() + leaseTtlMs, expired: false };
        leases.set(lease.id, lease);
        // The model is fetched through the lease, so the bytes served count for this device and task.
        const model = { ...issued.task.model, url: `${issued.task.model.url}?lease=${lease.id}` };
        sent.set(req, (bytes) => (lease.bytes += bytes));
        return { kind: 'task', leaseId: lease.id, task: { ...issued.task, model }, leaseTtlMs, serverTime: now() };
      };
      const ready = open.shift() ?? (onDemand ? makeTask(models, baseUrl, now(), taskDeadlineMs, { device: resource, gflops: speedOf(deviceId, device.info) }) : undefined);
      if (ready) return grant(ready);
      const wait = Math.min(waitMs, maxLeaseWaitMs);
      const issued = await new Promise<IssuedTask | null>((resolve) => {
        const waiter = { deviceId, give: (t: IssuedTask) => finish(t) };
        const finish = (t: IssuedTask | null): void => {
          clearTimeout(timeout);
          req.socket.off('close', gone);
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          resolve(t);
        };
        // A client that hangs up must not be handed a task nobody will run.
        const gone = (): void => finish(null);
        const timeout = setTimeout(() => finish(null), wait);
        req.socket.once('close', gone);
        waiters.push(waiter);
      });
      if (issued && req.socket.destroyed) return addTask(issued);
      if (issued) return grant(issued);
      return {
        kind: 'none',
        reason: 'no-tasks',
        message:
          taskIntervalMs === null
            ? 'the devnet has no open tasks.'
            : `the devnet has no open tasks right now; a new one comes every ${Math.max(1, Math.round(taskIntervalMs / 1000))} s.`,
        retryAfterMs: 0,
        serverTime: now(),
      } satisfies LeaseReply;
    },
    'POST v1/leases': async (req, rest) => {
      const [deviceId] = authenticate(req);
      const match = /^([A-Za-z0-9._:-]+)\/heartbeat$/.exec(rest);
      if (!match) throw new HttpError(404, 'not-found', 'No such route.');
      parse(HeartbeatRequestSchema, (await readBody(req)).value);
      const lease = leases.get(match[1]!);
      if (!lease || lease.deviceId !== deviceId || lease.expired || outcomes.has(lease.issued.task.id)) {
        return { status: 'gone', leaseTtlMs: 0, serverTime: now() };
      }
      lease.expiresAt = now() + leaseTtlMs;
      return { status: 'active', leaseTtlMs, serverTime: now() };
    },
    'POST v1/submit': async (req) => {
      const [deviceId, device] = authenticate(req);
      const body = await readBody(req);
      const { leaseId, result } = parse(SubmitRequestSchema, body.value);
      const previous = outcomes.get(result.taskId);
      if (previous) {
        if (previous.deviceId !== deviceId) return { status: 'too-late', serverTime: now() };
        stats.duplicates++;
        return { status: 'duplicate', serverTime: now() };
      }
      const lease = leases.get(leaseId);
      if (!lease || lease.deviceId !== deviceId || lease.issued.task.id !== result.taskId || lease.issued.task.deadline <= now()) {
        return { status: 'too-late', serverTime: now() };
      }
      // Claimed before the (async) check, so a re-send racing this one is seen as a duplicate.
      outcomes.set(result.taskId, { deviceId, deadline: lease.issued.task.deadline });
      leases.delete(leaseId);
      const queued = open.indexOf(lease.issued);
      if (queued >= 0) open.splice(queued, 1);
      stats.accepted.set(result.taskId, (stats.accepted.get(result.taskId) ?? 0) + 1);
      const { issued } = lease;
      const problem = Math.random() < verifyRate ? await verifier.check(issued, result) : undefined;
      const durationMs = Math.round(Math.min(result.accounting.wallMs, now() - lease.issuedAt));
      const seen = Number(issued.operations) / Math.max(1, durationMs) / 1e6;
      pace.set(deviceId, 0.8 * (pace.get(deviceId) ?? seen) + 0.2 * seen);
      // Work is what the graph says this input costs, paid at the rate of what the lease was for: never what the
      // device claims ran it.
      if (problem) {
        stats.rejected++;
        logger?.warn(`devnet: result for ${result.taskId} rejected: ${problem}`);
      }
      if (problem !== undefined) device.standing = recordOutcome(device.standing, problem === null, now());
      const status = problem ? 'rejected' : problem === null ? 'verified' : 'unverified';
      await issueReceipt(deviceId, device, { taskId: result.taskId, resourceType: lease.resource, status, durationMs, units: issued.operations });
      const bytes = lease.bytes + body.bytes;
      if (!problem) await issueReceipt(deviceId, device, { taskId: result.taskId, resourceType: 'bandwidth', status, durationMs, units: BigInt(bytes) });
      await save();
      return { status: 'accepted', serverTime: now() };
    },
    'POST v1/release': async (req) => {
      const [deviceId] = authenticate(req);
      const { leaseId, reason } = parse(ReleaseRequestSchema, (await readBody(req)).value);
      const lease = leases.get(leaseId);
      if (!lease || lease.deviceId !== deviceId) return { status: 'unknown', serverTime: now() };
      leases.delete(leaseId);
      stats.releases.push(reason);
      // A task this device could not run goes to someone else, unless the task itself is bad.
      if (!lease.expired && reason !== 'invalid-task' && reason !== 'model-unavailable') addTask(lease.issued);
      return { status: 'released', serverTime: now() };
    },
    'GET v1/voucher': async (req): Promise<VoucherReply> => {
      const [deviceId, device] = authenticate(req);
      if (!payout) throw new HttpError(404, 'no-payout', 'This coordinator has no payout contract yet.');
      const voucher = await payouts.voucher(payout, deviceId, device.info.owner, Math.floor(now() / 1000) + VOUCHER_TTL_S);
      return { voucher, serverTime: now() };
    },
    'GET v1/receipts': async (req, _rest, url) => {
      const [deviceId] = authenticate(req);
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      if (!Number.isSafeInteger(cursor) || cursor < 0) throw new HttpError(400, 'bad-request', 'cursor must be a non-negative integer.');
      const after = receipts.after(deviceId, cursor, 100);
      return { receipts: after, nextCursor: after.at(-1)?.receipt.seq ?? cursor, serverTime: now() };
    },
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/+/, '');
    if (req.method === 'GET' && path.startsWith('v1/models/')) {
      const model = modelsBySha.get(path.slice('v1/models/'.length));
      if (!model) throw new HttpError(404, 'not-found', 'No such model.');
      const lease = leases.get(url.searchParams.get('lease') ?? '');
      if (lease) res.once('finish', () => (lease.bytes += model.bytes.length));
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
    sent.get(req)?.(Buffer.byteLength(text));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const e = error instanceof HttpError ? error : new HttpError(500, 'internal', (error as Error).message);
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
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  if (taskIntervalMs !== null) generate();

  return {
    url: baseUrl,
    address: wallet.address,
    stats,
    addTasks,
    receiptsOf: (deviceId) => receipts.of(deviceId),
    attachPayout: (link) => (payout = link),
    async close() {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await verifier.close();
    },
  };
}
