import { errorText } from '../common/result.js';
import { DEVNET_LABEL } from '../common/network.js';
import {
  HeartbeatRequestSchema,
  LeaseRequestSchema,
  PROTOCOL_VERSION,
  ReleaseRequestSchema,
  SubmitRequestSchema,
  type InfoReply,
  type LeaseReply,
} from '../common/protocol.js';
import { DelegatedRegisterRequestSchema } from '../common/delegation.js';
import { HttpError, parse, readBody } from './http-util.js';
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
      return pool.lease(req, deviceId, device.info, waitMs, resource);
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
    'POST v1/release': async (req) => {
      const [deviceId] = registry.authenticate(req);
      const { leaseId, reason } = parse(ReleaseRequestSchema, (await readBody(req)).value);
      return { status: pool.release(deviceId, leaseId, reason) ? 'released' : 'unknown', serverTime: now() };
    },
  };
}
