import { z } from 'zod';
import { DTypeSchema, Sha256 } from '../../common/task.js';

/**
 * Messages between the agent and a job host child process (frames.ts: tensor bytes travel raw, not as base64).
 * Both ends parse what they receive: a crashed or confused peer is data, not a throw.
 */

const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes');
const Shape = z.array(z.number().int().nonnegative());

export const HostTensorSchema = z.object({ dtype: DTypeSchema, shape: Shape, data: Bytes });
export type HostTensor = z.infer<typeof HostTensorSchema>;

/**
 * An input the host fetches itself (input-fetch.ts), so its bytes never pass through the agent: the task's URL, hash
 * and size (the agent checked the size against the shape), and whether only public addresses may be reached.
 */
export const HostInputRefSchema = z.object({
  dtype: DTypeSchema,
  shape: Shape,
  url: z.url(),
  sha256: Sha256,
  size: z.number().int().positive(),
  publicOnly: z.boolean(),
});
export type HostInputRef = z.infer<typeof HostInputRefSchema>;

/** A job's input: its bytes, or where the host fetches them. */
export const HostFeedSchema = z.union([HostTensorSchema, HostInputRefSchema]);
export type HostFeed = z.infer<typeof HostFeedSchema>;
export const isInputRef = (feed: HostFeed): feed is HostInputRef => 'url' in feed;

/** The buffers under some tensors, each once (tensors may share one): what gets transferred or recycled. */
export const tensorBuffers = (tensors: Record<string, HostTensor>): ArrayBuffer[] => [
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a job's tensors are never on a SharedArrayBuffer
  ...new Set(Object.values(tensors).map((t) => t.data.buffer as ArrayBuffer)),
];

/** Execution providers the host may ask onnxruntime for, in order of preference; a GPU lane lists no 'cpu'. */
export const ProviderSchema = z.enum(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
export type Provider = z.infer<typeof ProviderSchema>;

export const SessionConfigSchema = z.object({
  threads: z.number().int().min(1).max(256),
  providers: z.array(ProviderSchema).min(1),
  /** GPU index for the provider. */
  deviceIndex: z.number().int().nonnegative(),
  vramBudgetBytes: z.number().int().positive().optional(),
  /** How many models stay loaded in this host. */
  warmSessions: z.number().int().min(1).max(16),
});
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

export const RunRequestSchema = z.object({
  type: z.literal('run'),
  jobId: z.string(),
  /** Inside the model cache; the host re-hashes the bytes it loads. */
  modelPath: z.string(),
  sha256: z.string(),
  feeds: z.record(z.string(), HostFeedSchema),
  outputs: z.array(z.string()).min(1),
  session: SessionConfigSchema,
});
export type RunRequest = z.infer<typeof RunRequestSchema>;
/** A job as the worker runs it: every input's bytes in hand. */
export type ReadyRequest = Omit<RunRequest, 'feeds'> & { feeds: Record<string, HostTensor> };

export const HostRequestSchema = z.discriminatedUnion('type', [RunRequestSchema, z.object({ type: z.literal('shutdown') })]);
export type HostRequest = z.infer<typeof HostRequestSchema>;

/**
 * Failures the host can name; the agent adds host-crashed, timeout and memory-budget itself. provider-unavailable:
 * none of the lane's providers works here, while the CPU would run the model (the device's fault, not the task's).
 * input-unavailable: an input it fetched did not arrive whole, or not with the task's hash.
 */
export const HostErrorCodeSchema = z.enum([
  'input-unavailable',
  'model-corrupt',
  'model-invalid',
  'bad-input',
  'run-failed',
  'bad-request',
  'provider-unavailable',
]);
export type HostErrorCode = z.infer<typeof HostErrorCodeSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('loaded'),
    jobId: z.string(),
    sha256: z.string(),
    provider: z.string(),
    /** Why a preferred provider was skipped, in words for the user. */
    fallback: z.string().optional(),
    batchable: z.boolean(),
    loadMs: z.number(),
  }),
  z.object({ type: z.literal('started'), jobId: z.string() }),
  z.object({
    type: z.literal('done'),
    jobId: z.string(),
    outputs: z.record(z.string(), HostTensorSchema),
    accounting: z.object({
      wallMs: z.number(),
      cpuMs: z.number(),
      peakRssBytes: z.number(),
      operations: z.number(),
      provider: z.string(),
    }),
  }),
  z.object({ type: z.literal('failed'), jobId: z.string(), code: HostErrorCodeSchema, message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;
