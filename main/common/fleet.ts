import { z } from 'zod';
import { keysOf } from './keys.js';
import { EarningsBucketSchema, WeiRangeSchema } from './network.js';
import { PRESETS, WeekGridSchema } from './settings.js';

/**
 * The fleet: machines paired by a short code that then talk end to end encrypted (docs/fleet.md). Two halves here:
 * what travels between paired agents (the wire, parsed on arrival) and the local API's fleet commands.
 */

/** A fleet identity: the raw X25519 public key, base64url (32 bytes → 43 characters). */
export const PeerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const B64 = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/);

/** Everything a peer sends is at most this big: a status report is a few KB, a command less. */
export const FLEET_MAX_FRAME_BYTES = 32 * 1024;
export const FLEET_WIRE_VERSION = 1;
export const FLEET_HTTP_PATH = '/fleet/v1';
export const FLEET_MDNS_TYPE = 'synor-fleet';

/** Why a peer's frame was refused: answered as `{ code, message }`, and every one of them leaves the agent running. */
export const FleetWireCodeSchema = z.enum([
  'BAD_FRAME', // not a frame: wrong shape, not JSON, a box that does not open
  'TOO_LARGE',
  'UNKNOWN_PEER', // not paired with this machine (and no pairing code is waiting)
  'REVOKED', // was paired; one side ended it
  'REPLAYED', // seen before, or too old or too far ahead to tell
  'BAD_CODE', // a join with the wrong one-time secret
  'NO_CODE', // a join when no code is shown, or after it expired or was dropped
  'FORBIDDEN', // a paired peer asking for what its side may not do
  'UNREACHABLE', // (on the sender's side) no answer from the address
  'BAD_REPLY', // (on the sender's side) an answer that is not the one asked for
]);
export type FleetWireCode = z.infer<typeof FleetWireCodeSchema>;
export const FleetWireErrorSchema = z.object({ code: FleetWireCodeSchema, message: z.string().max(500) }).strict();

/** The sealed frame: who from, who to, and a box only the two can open (chacha20-poly1305). */
export const FrameSchema = z
  .object({
    v: z.literal(FLEET_WIRE_VERSION),
    from: PeerIdSchema,
    to: PeerIdSchema,
    nonce: B64(16, 16),
    box: B64(22, Math.ceil((FLEET_MAX_FRAME_BYTES * 4) / 3)),
  })
  .strict();
export type Frame = z.infer<typeof FrameSchema>;

/** Who answers at an address, before any secret is sent: the key a pairing code is checked against. */
export const HelloSchema = z.object({ v: z.literal(FLEET_WIRE_VERSION), id: PeerIdSchema, name: z.string().max(120) }).strict();
export type Hello = z.infer<typeof HelloSchema>;

/** What a paired owner may change on a member: the share, a pause, a profile. Never the wallet, secrets or network. */
export const FleetCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('share'), on: z.boolean() }).strict(),
  /** A duration, not a moment: the two clocks need not agree. 0 ends a pause. */
  z
    .object({
      type: z.literal('pause'),
      ms: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('profile'),
      preset: z.enum(keysOf(PRESETS)).optional(),
      sharing: z.boolean().optional(),
      schedule: z.object({ enabled: z.boolean(), week: WeekGridSchema }).strict().optional(),
    })
    .strict(),
]);
export type FleetCommand = z.infer<typeof FleetCommandSchema>;

const Name = z.string().max(120);
/** How many days of earnings a member reports: a month, about 4 KB of a report. */
export const FLEET_REPORT_DAYS = 31;
const Version = z.string().max(40);

/** What a member reports about itself: enough for a fleet view's row, nothing secret. */
export const MemberReportSchema = z
  .object({
    name: Name,
    version: Version,
    sharing: z.boolean(),
    status: z.object({ code: z.enum(['off', 'waiting', 'working', 'paused']), reason: z.string().max(500) }).strict(),
    devices: z.array(z.object({ name: z.string().max(200), kind: z.string().max(40) }).strict()).max(64),
    /** Measured SYNOR wei per hour of sharing; null until enough work is measured. */
    perHourWei: WeiRangeSchema.nullable(),
    today: EarningsBucketSchema.nullable(),
    total: EarningsBucketSchema.nullable(),
    /**
     * Earnings per local day (key YYYY-MM-DD), the last FLEET_REPORT_DAYS days with any, oldest first: the owner's
     * combined earnings per day. Absent from members older than this field.
     */
    days: z.array(EarningsBucketSchema).max(FLEET_REPORT_DAYS).optional(),
    /** The hottest reading of the processor and GPUs, °C; null where the system does not tell. */
    temperatureC: z.number().min(-50).max(200).nullable(),
  })
  .strict();
export type MemberReport = z.infer<typeof MemberReportSchema>;

/** A message inside a box. `join` is the one an unpaired machine may send, while a code is shown. */
export const MessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('join'),
      /** The code's one-time secret, base32 as typed: only ever inside a box. */
      secret: z.string().length(8),
      name: Name,
      version: Version,
      /** Where the joining machine listens, so its owner can reach it. */
      port: z.number().int().min(1).max(65535),
    })
    .strict(),
  z.object({ type: z.literal('status') }).strict(),
  z.object({ type: z.literal('command'), command: FleetCommandSchema }).strict(),
  /** "I end our pairing": either side, answered and then forgotten by both. */
  z.object({ type: z.literal('leave') }).strict(),
]);
export type Message = z.infer<typeof MessageSchema>;

export const ReplySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('joined'), name: Name, version: Version }).strict(),
  z.object({ type: z.literal('status'), report: MemberReportSchema }).strict(),
  z.object({ type: z.literal('done') }).strict(),
  z.object({ type: z.literal('error'), error: FleetWireErrorSchema }).strict(),
]);
export type Reply = z.infer<typeof ReplySchema>;

/** Inside every box: when it was sealed and a one-time id (replay), and for a reply the id it answers. */
export const EnvelopeSchema = z
  .object({
    at: z.number().int().nonnegative(),
    id: B64(22, 22),
    re: B64(22, 22).optional(),
    // eslint-disable-next-line no-restricted-syntax -- two steps: the body is parsed as a Request or a Reply once the box is opened and its kind known
    body: z.unknown(),
  })
  .strict();
export type Envelope = z.infer<typeof EnvelopeSchema>;

// ---- The local API (the viewer's page and `synor fleet`) ----

export const PeerRoleSchema = z.enum(['member', 'owner']);

/** One machine paired with this one, as the page shows it. `role`: a member is controlled from here; an owner controls this one. */
export const MemberViewSchema = z
  .object({
    id: PeerIdSchema,
    name: Name,
    role: PeerRoleSchema,
    address: z.string().nullable(),
    /** online: answered just now; offline: no answer (`reason` says what happened); revoked: no longer paired. */
    state: z.enum(['online', 'offline', 'revoked']),
    reason: z.string(),
    pairedAt: z.number(),
    lastSeen: z.number().nullable(),
    report: MemberReportSchema.nullable(),
  })
  .strict();
export type MemberView = z.infer<typeof MemberViewSchema>;

/** The message broker the user set (`fleet.broker`), as the page shows it: its host only, never a password. */
export const BrokerViewSchema = z
  .object({
    host: z.string(),
    state: z.enum(['connecting', 'connected', 'unreachable']),
    /** What stopped the last try, in plain words, while it cannot be reached (null when it is not known). */
    reason: z.string().nullable(),
  })
  .strict();
export type BrokerView = z.infer<typeof BrokerViewSchema>;

export const FleetStatusSchema = z
  .object({
    enabled: z.boolean(),
    /** This machine's name and key fingerprint (for the user to compare); never a private key. */
    self: z.object({ id: PeerIdSchema, name: Name, fingerprint: z.string() }).strict(),
    /** Where peers reach this machine ("192.168.1.5:7434"), while the fleet listener is on. */
    addresses: z.array(z.string()),
    peers: z.array(MemberViewSchema),
    /** Fleet machines announcing themselves on the local network (mDNS). */
    nearby: z.array(z.object({ name: Name, address: z.string() }).strict()),
    /** The broker this machine dials out to, while fleet pairing is on and one is set; null otherwise. */
    broker: BrokerViewSchema.nullable(),
  })
  .strict();
export type FleetStatus = z.infer<typeof FleetStatusSchema>;

/** A pairing code as shown: XXXX-XXXX-XXXX (Crockford base32), with the link a QR code carries. */
export const PairingOfferSchema = z
  .object({ code: z.string(), expiresAt: z.number(), addresses: z.array(z.string()), link: z.string() })
  .strict();
export type PairingOffer = z.infer<typeof PairingOfferSchema>;

const CommandOutcomeSchema = z
  .object({ id: PeerIdSchema, name: Name, ok: z.boolean(), error: z.object({ code: z.string(), message: z.string() }).strict().optional() })
  .strict();

const NoArgs = z.object({}).strict().optional();

export const fleetCommands = {
  /** Every paired machine, asked for its status now (members that do not answer are shown offline, with why). */
  fleetStatus: { args: NoArgs, result: FleetStatusSchema },
  /** Shows a new one-time pairing code (an earlier one stops working). */
  fleetPair: { args: NoArgs, result: PairingOfferSchema },
  /** Joins the fleet of the machine at `address` with the code it shows. */
  fleetJoin: {
    args: z.object({ address: z.string().min(1).max(300), code: z.string().min(1).max(40) }).strict(),
    result: MemberViewSchema,
  },
  /** Ends a pairing from this side; the other machine is told when it can be reached. */
  fleetRevoke: { args: z.object({ id: PeerIdSchema }).strict(), result: MemberViewSchema },
  /** Sends a command to some members or all, each answered apart. */
  fleetCommand: {
    args: z.object({ ids: z.union([z.array(PeerIdSchema).min(1).max(1000), z.literal('all')]), command: FleetCommandSchema }).strict(),
    result: z.object({ results: z.array(CommandOutcomeSchema) }).strict(),
  },
} as const;
export type FleetCommandName = keyof typeof fleetCommands;
