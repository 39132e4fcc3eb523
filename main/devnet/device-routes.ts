import { errorText, type Result } from '../common/result.js';
import { DEVNET_LABEL } from '../common/network.js';
import {
  HeartbeatRequestSchema,
  LeaseRequestSchema,
  PROTOCOL_VERSION,
  ReleaseRequestSchema,
  SubmitBatchRequestSchema,
  SubmitRequestSchema,
  type InfoReply,
  type LeaseReply,
  type SubmitOutcome,
  type SubmitRequest,
} from '../common/protocol.js';
import { stripBytes } from '../common/frame.js';
import { DelegatedRegisterRequestSchema } from '../common/delegation.js';
import { HttpError, MAX_BODY, parse, readBody } from './http-util.js';
import { asksForFrame, leaseFrame } from './lease-frame.js';
import type { Device } from './registry.js';
import type { Handlers, RouteContext } from './route-context.js';
import { reputation } from './standing.js';
import { quarantineRefusal } from './verification.js';

/** The routes a device works through: the coordinator's info, registration, leases, heartbeats, results and releases. */
export function deviceRoutes(c: RouteContext): Handlers {
  const { registry, pool, logger } = c;
  const now = (): number => c.clock.now();
  return {
    'GET v1/info': async (): Promise<InfoReply> => ({
      protocol: PROTOCOL_VERSION,
      network: { name: 'devnet', devnet: true, label: DEVNET_LABEL },
      coordinator: registry.wallet.address,
      chainId: c.chainId,
      serverTime: now(),
      maxLeaseWaitMs: c.maxLeaseWaitMs,
      ...(c.payout ? { payout: c.payout.settings } : {}),
      ...(c.maxSubmitBatch > 1 ? { submitBatch: { maxResults: c.maxSubmitBatch, maxBytes: MAX_BODY } } : {}),
      leaseFrames: true,
    }),
    'POST v1/devices/register': async (req) => {
      const { token, device } = await registry.register(parse(DelegatedRegisterRequestSchema, (await readBody(req)).value));
      const { deviceId, owner } = device.info;
      logger?.info(`devnet: device ${deviceId} registered to ${owner}`);
      c.payout?.fund(owner).catch((error: unknown) => logger?.warn(`devnet: could not fund ${owner}: ${errorText(error)}`));
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
      if (await c.receipts.payAvailability(deviceId, device)) await registry.save();
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
      const reply = await pool.lease(req, deviceId, device.info, waitMs, resource);
      return reply?.kind === 'task' && asksForFrame(req) ? leaseFrame(reply) : reply;
    },
    'POST v1/leases': async (req, rest) => {
      const [deviceId] = registry.authenticate(req);
      const leaseId = /^([A-Za-z0-9._:-]+)\/heartbeat$/.exec(rest)?.[1];
      if (leaseId === undefined) throw new HttpError(404, 'not-found', 'No such route.');
      parse(HeartbeatRequestSchema, (await readBody(req)).value);
      return pool.heartbeat(deviceId, leaseId)
        ? { status: 'active', leaseTtlMs: c.leaseTtlMs, serverTime: now() }
        : { status: 'gone', leaseTtlMs: 0, serverTime: now() };
    },
    'POST v1/submit': async (req) => {
      const [deviceId, device] = registry.authenticate(req);
      const body = await readBody(req);
      const { leaseId, result } = parse(SubmitRequestSchema, body.value);
      return { status: await c.desk.submit(deviceId, device, leaseId, result, body.bytes), serverTime: now() };
    },
    'POST v1/submit-batch': async (req) => {
      const [deviceId, device] = registry.authenticate(req);
      if (c.maxSubmitBatch < 2) throw new HttpError(404, 'not-found', 'This coordinator takes results one at a time.');
      const { submits } = parse(SubmitBatchRequestSchema, (await readBody(req)).value);
      if (submits.length > c.maxSubmitBatch)
        throw new HttpError(413, 'batch-too-large', `A batch holds at most ${c.maxSubmitBatch} results; send the rest in another.`);
      // One after another, as single submits arrive: a task twice in the batch is a duplicate the second time.
      const results: SubmitOutcome[] = [];
      for (const item of submits) results.push(await judge(c, deviceId, device, item));
      return { results, serverTime: now() };
    },
    'POST v1/release': async (req) => {
      const [deviceId] = registry.authenticate(req);
      const { leaseId, reason } = parse(ReleaseRequestSchema, (await readBody(req)).value);
      return { status: pool.release(deviceId, leaseId, reason) ? 'released' : 'unknown', serverTime: now() };
    },
  };
}

/**
 * One result of a batch, judged as a single submit of it would be: paid for its own frame's bytes, refused alone
 * (with a single submit's code and words) when it is not a request.
 */
async function judge(
  c: RouteContext,
  deviceId: string,
  device: Device,
  item: Result<SubmitRequest, 'bad-request'>,
): Promise<SubmitOutcome> {
  if (!item.ok) return { status: 'refused', error: item.error };
  try {
    const { leaseId, result } = item.value;
    const { header, blobs, size } = stripBytes(item.value);
    const bytes = 8 + Buffer.byteLength(JSON.stringify(header)) + (blobs.length ? size : 0);
    return { status: await c.desk.submit(deviceId, device, leaseId, result, bytes) };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return { status: 'refused', error: { code: error.code, message: error.message } };
  }
}
