import { z } from 'zod';
import { IntString, UintString } from './integers.js';
import { fail, ok, type Result } from './result.js';
import { ChainSettingsSchema, VoucherSchema } from './wallet.js';
import { ReleaseReasonSchema, TaskResultSchema, TaskSchema } from './task.js';

/**
 * The provider protocol (docs/protocol.md), version 2: every message a device and a coordinator exchange.
 * Both ends parse with these schemas; nothing from the other side is trusted unparsed.
 */
export const PROTOCOL_VERSION = 'synor-provider/2';

export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an 0x-prefixed 20-byte address');
export const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte 0x-prefixed signature');
/** An id (device, task, lease): 1–128 letters, digits and . _ : - */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const Name = z.string().min(1).max(64);
const finite = z.number().finite().nonnegative();
const count = z.number().int().nonnegative().max(1_000_000);

// ---- The seed's DeviceInfo -------------------------------------------------------------------------------------

/** The seed's `DeviceType` enum, one variant per `kind`. */
export const DeviceTypeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('data-center-gpu'), model: Name, vramGb: finite, tensorCores: count }).strict(),
  z.object({ kind: z.literal('consumer-gpu'), model: Name, vramGb: finite }).strict(),
  z.object({ kind: z.literal('mobile'), platform: z.enum(['ios', 'android']), chip: Name, gpu: Name }).strict(),
  z.object({ kind: z.literal('cpu'), vendor: Name, cores: count, threads: count, avx: z.enum(['none', 'avx', 'avx2', 'avx512']) }).strict(),
  z.object({ kind: z.literal('browser'), runtime: Name, gpuAvailable: z.boolean(), wasmSimd: z.boolean() }).strict(),
  z.object({ kind: z.literal('apple-silicon'), chip: Name, gpuCores: count, neuralEngineCores: count, unifiedMemoryGb: finite }).strict(),
  z.object({ kind: z.literal('tpu'), version: Name, chips: count }).strict(),
  z.object({ kind: z.literal('custom-accelerator'), vendor: Name, model: Name, tops: finite }).strict(),
]);
export type DeviceType = z.infer<typeof DeviceTypeSchema>;

export const ComputeCapabilitiesSchema = z
  .object({
    fp32Gflops: finite,
    fp16Gflops: finite,
    int8Tops: finite,
    /** GB/s */
    memoryBandwidthGbps: finite,
    memoryGb: finite,
    frameworks: z.array(z.string().min(1).max(32)).max(16),
    modelFormats: z.array(z.string().min(1).max(32)).max(16),
  })
  .strict();
export type ComputeCapabilities = z.infer<typeof ComputeCapabilitiesSchema>;

export const NetworkCapabilitiesSchema = z
  .object({
    downloadMbps: finite,
    uploadMbps: finite,
    edgeLatencyMs: z.number().int().nonnegative().max(600_000),
    natType: z.enum(['open', 'full-cone', 'restricted-cone', 'port-restricted-cone', 'symmetric', 'unknown']),
  })
  .strict();
export type NetworkCapabilities = z.infer<typeof NetworkCapabilitiesSchema>;

const Hour = z.number().int().min(0).max(24);
export const AvailabilityScheduleSchema = z
  .object({
    always: z.boolean(),
    /** UTC [start, end) hour ranges; null when `always`. */
    hours: z
      .array(z.tuple([Hour, Hour]))
      .max(48)
      .nullable(),
    idleOnly: z.boolean(),
    chargingOnly: z.boolean(),
    minBattery: z.number().int().min(0).max(100).nullable(),
  })
  .strict();
export type AvailabilitySchedule = z.infer<typeof AvailabilityScheduleSchema>;

export const DeviceInfoSchema = z
  .object({
    deviceId: Id,
    owner: Address,
    deviceType: DeviceTypeSchema,
    compute: ComputeCapabilitiesSchema,
    network: NetworkCapabilitiesSchema,
    availability: AvailabilityScheduleSchema,
  })
  .strict();
export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;

// ---- EIP-712 ---------------------------------------------------------------------------------------------------

export interface TypedDataDomain {
  name: string;
  version: string;
  chainId: number;
}
export type TypedDataTypes = Record<string, { name: string; type: string }[]>;

export const eip712Domain = (chainId: number): TypedDataDomain => ({ name: 'Synor Compute', version: '1', chainId });

/** The owner signs the exact DeviceInfo JSON it sends, so no field can be changed on the way. */
export const REGISTRATION_TYPES: TypedDataTypes = {
  Registration: [
    { name: 'deviceId', type: 'string' },
    { name: 'owner', type: 'address' },
    { name: 'coordinator', type: 'address' },
    { name: 'info', type: 'string' },
    { name: 'issuedAt', type: 'uint64' },
  ],
};

// ---- Messages --------------------------------------------------------------------------------------------------

const ServerTime = z.number().int().positive();
/** The most results any batched submit may carry; a coordinator says its own bound in its info. */
export const SUBMIT_BATCH_MAX = 256;

export const ErrorReplySchema = z
  .object({ error: z.object({ code: z.string().min(1).max(64), message: z.string().max(2000) }).strict() })
  .strict();
export type ErrorReply = z.infer<typeof ErrorReplySchema>;

export const InfoReplySchema = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION, {
      error: `this app speaks ${PROTOCOL_VERSION} and the coordinator another version; update the app or choose another network`,
    }),
    network: z.object({ name: Name, devnet: z.boolean(), label: z.string().max(200) }).strict(),
    /** The key that signs receipts; the client pins it on first contact. */
    coordinator: Address,
    chainId: z.number().int().positive(),
    serverTime: ServerTime,
    maxLeaseWaitMs: z.number().int().positive().max(120_000),
    /** Where vouchers are paid; a client with no chain set uses it and pins it (docs/protocol.md, "Vouchers"). */
    payout: ChainSettingsSchema.optional(),
    /** Set when the coordinator takes batched submits: at most this many results, and bytes of body, in one. */
    submitBatch: z
      .object({ maxResults: z.number().int().min(2).max(SUBMIT_BATCH_MAX), maxBytes: z.number().int().positive() })
      .strict()
      .optional(),
    /**
     * Set when the coordinator answers a lease that asks for it (`accept: application/vnd.synor.frame`) with a frame:
     * the task's inputs as raw bytes, each with its hash, not base64 in JSON.
     */
    leaseFrames: z.literal(true).optional(),
  })
  .strict();
export type InfoReply = z.infer<typeof InfoReplySchema>;

export const RegistrationSchema = z
  .object({
    deviceId: Id,
    owner: Address,
    /** The coordinator this registration is for (its receipt-signing address): another refuses it. */
    coordinator: Address,
    /** JSON of a DeviceInfo, exactly as signed. */
    info: z.string().min(2).max(16_384),
    /**
     * Coordinator clock (epoch ms) as estimated by the client; accepted within ±10 minutes and only when later than
     * the device's previous registration, so a captured registration cannot be replayed.
     */
    issuedAt: z.number().int().positive(),
  })
  .strict();
export type Registration = z.infer<typeof RegistrationSchema>;

export const RegisterRequestSchema = z.object({ registration: RegistrationSchema, signature: Signature }).strict();
export type RegisterRequest = z.infer<typeof RegisterRequestSchema>;

export const RegisterReplySchema = z
  .object({
    deviceToken: z.string().regex(/^[0-9a-f]{64}$/),
    reputation: z.number().int().min(0).max(100),
    serverTime: ServerTime,
  })
  .strict();
export type RegisterReply = z.infer<typeof RegisterReplySchema>;

/** The kind of compute that asks: a lease is paid at its rate, whatever the result says ran it. */
export const ComputeResourceSchema = z.enum(['gpu', 'cpu']);
export type ComputeResource = z.infer<typeof ComputeResourceSchema>;
export const LeaseRequestSchema = z.object({ waitMs: z.number().int().min(0).max(120_000), resource: ComputeResourceSchema }).strict();
export type LeaseRequest = z.infer<typeof LeaseRequestSchema>;

export const NoWorkReasonSchema = z.enum(['no-tasks', 'not-eligible', 'paused', 'rate-limited']);
export type NoWorkReason = z.infer<typeof NoWorkReasonSchema>;

export const LeaseReplySchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('task'),
      leaseId: Id,
      task: TaskSchema,
      /** Relative, so clocks need not agree: the lease ends this long after the reply unless heartbeats renew it. */
      leaseTtlMs: z.number().int().positive().max(3_600_000),
      serverTime: ServerTime,
    })
    .strict(),
  z
    .object({
      kind: z.literal('none'),
      reason: NoWorkReasonSchema,
      message: z.string().max(500),
      retryAfterMs: z.number().int().min(0).max(3_600_000),
      serverTime: ServerTime,
    })
    .strict(),
]);
export type LeaseReply = z.infer<typeof LeaseReplySchema>;

export const HeartbeatRequestSchema = z.object({ progress: z.number().min(0).max(1) }).strict();
export const HeartbeatReplySchema = z
  .object({
    /** `gone`: the lease expired or the task ended elsewhere; stop working on it. */
    status: z.enum(['active', 'gone']),
    leaseTtlMs: z.number().int().nonnegative().max(3_600_000),
    serverTime: ServerTime,
  })
  .strict();
export type HeartbeatReply = z.infer<typeof HeartbeatReplySchema>;

export const SubmitRequestSchema = z.object({ leaseId: Id, result: TaskResultSchema }).strict();
export type SubmitRequest = z.infer<typeof SubmitRequestSchema>;

export const SubmitReplySchema = z
  .object({
    /** `duplicate`: this device already submitted this task; re-sending is safe and changes nothing. */
    status: z.enum(['accepted', 'duplicate', 'too-late']),
    serverTime: ServerTime,
  })
  .strict();
export type SubmitReply = z.infer<typeof SubmitReplySchema>;

/** A batch's item: the request, or why it is not one, worded as a single submit's refusal (refused alone). */
const SubmitBatchItemSchema = SubmitRequestSchema.transform((request): Result<SubmitRequest, 'bad-request'> => ok(request)).catch(
  ({ error }) => {
    const issue = error.issues[0];
    return fail('bad-request', `Invalid request at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`);
  },
);

/** Several results in one request (a frame, as a single submit), each judged on its own: a bad one costs the others nothing. */
export const SubmitBatchRequestSchema = z.object({ submits: z.array(SubmitBatchItemSchema).min(1).max(SUBMIT_BATCH_MAX) }).strict();
export type SubmitBatchRequest = z.infer<typeof SubmitBatchRequestSchema>;

/** One result's answer in a batch: a single submit's status, or the refusal a single submit would have got. */
export const SubmitOutcomeSchema = z.union([
  z.object({ status: z.enum(['accepted', 'duplicate', 'too-late']) }).strict(),
  z.object({ status: z.literal('refused'), error: ErrorReplySchema.shape.error }).strict(),
]);
export type SubmitOutcome = z.infer<typeof SubmitOutcomeSchema>;

/** One answer per submitted result, in the request's order. */
export const SubmitBatchReplySchema = z
  .object({ results: z.array(SubmitOutcomeSchema).min(1).max(SUBMIT_BATCH_MAX), serverTime: ServerTime })
  .strict();
export type SubmitBatchReply = z.infer<typeof SubmitBatchReplySchema>;

export const ReleaseRequestSchema = z.object({ leaseId: Id, reason: ReleaseReasonSchema, message: z.string().max(500) }).strict();
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;
export const ReleaseReplySchema = z.object({ status: z.enum(['released', 'unknown']), serverTime: ServerTime }).strict();

export const ResourceTypeSchema = z.enum(['gpu', 'cpu', 'bandwidth', 'availability']);
export type ResourceType = z.infer<typeof ResourceTypeSchema>;

/** A task's (or a stretch of online time's, or an epoch's transfers') receipt: a leaf of its signed epoch. */
export const ReceiptSchema = z
  .object({
    receiptId: Id,
    /** Position in this device's receipt stream; the `receipts` cursor. */
    seq: z.number().int().positive(),
    /** Empty for availability receipts. */
    taskId: z.union([Id, z.literal('')]),
    deviceId: Id,
    owner: Address,
    resourceType: ResourceTypeSchema,
    /** `rejected`: the result failed verification and earns nothing. */
    status: z.enum(['verified', 'unverified', 'rejected']),
    /** Work in integer units: floating-point operations (gpu, cpu), bytes (bandwidth) or milliseconds (availability). */
    units: UintString,
    durationMs: z.number().int().nonnegative(),
    uptimeBp: z.number().int().min(0).max(10_000),
    reputation: z.number().int().min(0).max(100),
    baseWei: UintString,
    reputationBonusWei: IntString,
    uptimeBonusWei: UintString,
    totalWei: UintString,
    issuedAt: z.number().int().positive(),
  })
  .strict();
export type Receipt = z.infer<typeof ReceiptSchema>;

/**
 * A receipt's leaf in its epoch's Merkle tree is the sha256 of 0x00 and this text (docs/protocol.md, "Epochs"): its
 * fields in the schema's order, one per line. No field can hold a newline, so the text is unambiguous.
 */
export const receiptLeafText = (r: Receipt): string =>
  [
    r.receiptId,
    r.seq,
    r.taskId,
    r.deviceId,
    r.owner.toLowerCase(),
    r.resourceType,
    r.status,
    r.units,
    r.durationMs,
    r.uptimeBp,
    r.reputation,
    r.baseWei,
    r.reputationBonusWei,
    r.uptimeBonusWei,
    r.totalWei,
    r.issuedAt,
  ].join('\n');

/** What an epoch's receipts of one resource add up to. */
export const EpochSumSchema = z
  .object({
    resourceType: ResourceTypeSchema,
    receipts: z.number().int().positive(),
    rejected: z.number().int().nonnegative(),
    units: UintString,
    totalWei: UintString,
  })
  .strict();
export type EpochSum = z.infer<typeof EpochSumSchema>;

/** The most receipts one epoch holds. */
export const EPOCH_MAX_RECEIPTS = 4096;

/**
 * The one signed statement per epoch: a device's receipts `firstSeq`..`lastSeq` (all of them, no gaps), the root of
 * the Merkle tree over their leaves, and what they add up to per resource. A receipt is proven by its leaf, its path to
 * `root` and this signature, so the coordinator signs (and a device checks) one signature a minute, not one a task.
 */
export const EpochSchema = z
  .object({
    deviceId: Id,
    owner: Address,
    firstSeq: z.number().int().positive(),
    lastSeq: z.number().int().positive(),
    /** sha256 Merkle root (RFC 6962) over the receipts' leaves in seq order, 0x-prefixed hex. */
    root: z.string().regex(/^0x[0-9a-f]{64}$/),
    /** `issuedAt` of the first and the last receipt. */
    openedAt: z.number().int().positive(),
    closedAt: z.number().int().positive(),
    /** One entry per resource present, in the order gpu, cpu, bandwidth, availability. */
    sums: z.array(EpochSumSchema).min(1).max(4),
    totalWei: UintString,
    issuedAt: z.number().int().positive(),
  })
  .strict()
  .refine(
    (e) => e.lastSeq >= e.firstSeq && e.lastSeq - e.firstSeq < EPOCH_MAX_RECEIPTS && e.closedAt >= e.openedAt,
    'an epoch covers 1 to 4096 receipts in order',
  );
export type Epoch = z.infer<typeof EpochSchema>;

export const EPOCH_TYPES: TypedDataTypes = {
  Epoch: [
    { name: 'deviceId', type: 'string' },
    { name: 'owner', type: 'address' },
    { name: 'firstSeq', type: 'uint64' },
    { name: 'lastSeq', type: 'uint64' },
    { name: 'root', type: 'bytes32' },
    { name: 'openedAt', type: 'uint64' },
    { name: 'closedAt', type: 'uint64' },
    { name: 'sums', type: 'EpochSum[]' },
    { name: 'totalWei', type: 'uint256' },
    { name: 'issuedAt', type: 'uint64' },
  ],
  EpochSum: [
    { name: 'resourceType', type: 'string' },
    { name: 'receipts', type: 'uint32' },
    { name: 'rejected', type: 'uint32' },
    { name: 'units', type: 'uint256' },
    { name: 'totalWei', type: 'uint256' },
  ],
};

export const SignedEpochSchema = z.object({ epoch: EpochSchema, signature: Signature }).strict();
export type SignedEpoch = z.infer<typeof SignedEpochSchema>;

/** An epoch as served: its signature and every receipt it covers, in seq order. */
export const EpochBundleSchema = SignedEpochSchema.extend({ receipts: z.array(ReceiptSchema).min(1).max(EPOCH_MAX_RECEIPTS) }).strict();
export type EpochBundle = z.infer<typeof EpochBundleSchema>;

export const ReceiptsReplySchema = z
  .object({
    /** Whole epochs, oldest first; a page holds at most 4,096 receipts unless its one epoch is that large. */
    epochs: z.array(EpochBundleSchema).max(64),
    /** The `lastSeq` of the page's last epoch: pass back as `?cursor=` to get what came after. */
    nextCursor: z.number().int().nonnegative(),
    serverTime: ServerTime,
  })
  .strict();
export type ReceiptsReply = z.infer<typeof ReceiptsReplySchema>;

/** Paths, relative to the coordinator URL. */
export const ROUTES = {
  info: 'v1/info',
  register: 'v1/devices/register',
  lease: 'v1/lease',
  heartbeat: (leaseId: string) => `v1/leases/${encodeURIComponent(leaseId)}/heartbeat`,
  submit: 'v1/submit',
  submitBatch: 'v1/submit-batch',
  release: 'v1/release',
  receipts: (cursor: number) => `v1/receipts?cursor=${cursor}`,
  model: (sha256: string) => `v1/models/${sha256}`,
  voucher: 'v1/voucher',
} as const;

/** A payout voucher for this device's receipts the payout contract has not paid yet (null: nothing owed). */
export const VoucherReplySchema = z.object({ voucher: VoucherSchema.nullable(), serverTime: ServerTime }).strict();
export type VoucherReply = z.infer<typeof VoucherReplySchema>;
