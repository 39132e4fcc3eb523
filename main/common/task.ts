import { z } from 'zod';
import { UintString } from './integers.js';

/**
 * An inference task as the network hands it out, and the result the device sends back.
 * Everything here arrives from or goes to a coordinator, so it is parsed on both ends.
 */

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 as 64 lowercase hex digits');
const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

export const DTypeSchema = z.enum(['float32', 'float16', 'int8', 'uint8', 'int32', 'int64', 'bool']);
export type DType = z.infer<typeof DTypeSchema>;
export const DTYPE_BYTES = { float32: 4, float16: 2, int8: 1, uint8: 1, int32: 4, int64: 8, bool: 1 } as const satisfies Record<
  DType,
  number
>;

const Shape = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(1 << 24),
  )
  .max(8);

/**
 * Base64, checked here for its length only: its characters are checked where it is decoded (a bad one decodes to
 * fewer bytes than the shape needs). Every task, outbox entry and result passes this schema, and a regex over a 4 MB
 * tensor cost ~9 ms each time.
 */
const Base64 = z
  .string()
  .max(64 * 1024 * 1024)
  .refine((s) => s.length % 4 === 0, 'base64, padded to a multiple of 4 characters');

const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes');

/**
 * A tensor carried inline (base64 of the little-endian element bytes), as raw bytes in a lease reply's frame (checked
 * by hash where it is prepared, as a fetched one), or fetched by URL and checked by hash.
 */
export const TensorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inline'), dtype: DTypeSchema, shape: Shape, data: Base64 }).strict(),
  z.object({ kind: z.literal('bytes'), dtype: DTypeSchema, shape: Shape, sha256: Sha256, data: Bytes }).strict(),
  z
    .object({ kind: z.literal('url'), dtype: DTypeSchema, shape: Shape, url: z.url(), sha256: Sha256, size: z.number().int().positive() })
    .strict(),
]);
export type Tensor = z.infer<typeof TensorSchema>;

export const ModelRefSchema = z
  .object({
    url: z.url(),
    sha256: Sha256,
    size: z
      .number()
      .int()
      .positive()
      .max(4 * 1024 ** 3),
    /** What the coordinator calls the model, shown to the user as plain text (no control characters). */
    name: z
      .string()
      .min(1)
      .max(80)
      .regex(/^[^\p{C}]+$/u)
      .optional(),
  })
  .strict();
export type ModelRef = z.infer<typeof ModelRefSchema>;

export const DevicePreferenceSchema = z.enum(['any', 'cpu', 'gpu']);

export const TaskSchema = z
  .object({
    id: Id,
    model: ModelRefSchema,
    /** At least one: every model a task can run reads an input, and a task without one is a damaged reply. */
    inputs: z
      .record(z.string().min(1).max(256), TensorSchema)
      .refine((inputs) => Object.keys(inputs).length > 0, 'a task needs at least one input'),
    /** Output names the result must carry. */
    outputs: z.array(z.string().min(1).max(256)).min(1).max(64),
    /** Epoch milliseconds; past it the network no longer wants the result. */
    deadline: z.number().int().positive(),
    memoryEstimateBytes: z.number().int().nonnegative(),
    device: DevicePreferenceSchema,
    /** What the network expects to pay, in wei: shown to the user, never trusted for accounting. */
    rewardEstimateWei: UintString,
    /** Higher runs first. */
    priority: z.number().int().min(0).max(9).default(5),
  })
  .strict();
export type Task = z.infer<typeof TaskSchema>;

/** Measured, not estimated: receipts and rewards rest on these numbers. */
export const AccountingSchema = z
  .object({
    wallMs: z.number().nonnegative(),
    cpuMs: z.number().nonnegative(),
    peakRssBytes: z.number().int().nonnegative(),
    device: z.string(),
    /** Floating-point (or int8) operations the run performed, from the model graph. */
    operations: z.number().nonnegative(),
  })
  .strict();
export type Accounting = z.infer<typeof AccountingSchema>;

/**
 * An output tensor: its little-endian element bytes as raw bytes (a frame's payload, common/frame.ts), exactly as
 * many as the shape needs. Results travel as frames, never as JSON with base64.
 */
export const ResultTensorSchema = z
  .object({ dtype: DTypeSchema, shape: Shape, data: Bytes })
  .strict()
  .refine(
    (t) => t.data.byteLength === t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype],
    'as many bytes as its shape and element type need',
  );
export type ResultTensor = z.infer<typeof ResultTensorSchema>;

export const TaskResultSchema = z
  .object({
    taskId: Id,
    outputs: z.record(z.string(), ResultTensorSchema),
    accounting: AccountingSchema,
  })
  .strict();
export type TaskResult = z.infer<typeof TaskResultSchema>;

/** The result with output bytes of its own: the scheduler reuses the buffers its results' bytes are views into. */
export const withOwnBytes = (result: TaskResult): TaskResult => ({
  ...result,
  outputs: Object.fromEntries(Object.entries(result.outputs).map(([name, t]) => [name, { ...t, data: new Uint8Array(t.data) }])),
});

/** Why a device gives a task back instead of a result; sent to the network with `release`. */
export const ReleaseReasonSchema = z.enum([
  'invalid-task', // failed validation; the message says which field
  'model-unavailable', // download failed or hash mismatch
  'runtime-error', // the model ran and failed (bad shape, out of memory, crash)
  'policy-pause', // the user needs the machine back for too long
  'deadline', // cannot finish in time
  'expired', // its deadline passed before it could start: it was not run
  'shutdown',
]);
export type ReleaseReason = z.infer<typeof ReleaseReasonSchema>;
