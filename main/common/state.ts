import { z } from 'zod';
import { HardwareSnapshotSchema } from './hardware.js';
import { WeiString } from './integers.js';
import { EarningsBucketSchema, LedgerCheckSchema, NetworkEarningsSchema, NetworkStatusSchema } from './network.js';
import { WalletViewSchema } from './wallet.js';
import { DecisionSchema, SignalsSchema } from './policy.js';
import { TellKindSchema } from './settings.js';

export const NoticeSchema = z.object({
  id: z.string(),
  level: z.enum(['error', 'warning', 'info']),
  code: z.string(),
  message: z.string(),
});
export type Notice = z.infer<typeof NoticeSchema>;

/** One task this machine holds, for the dashboard (progress and ETA are estimated from earlier runs of its model). */
export const TaskViewSchema = z.object({
  id: z.string(),
  state: z.enum(['preparing', 'queued', 'running', 'suspended']),
  device: z.string().optional(),
  priority: z.number(),
  deadline: z.number(),
  rewardEstimateWei: WeiString,
  /** The model's name (when the network gives one) and its file's size: with the device, what names the task. */
  modelName: z.string().optional(),
  modelBytes: z.number().int().nonnegative(),
  attempts: z.number(),
  progress: z.number().optional(),
  etaMs: z.number().optional(),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

/** Earning: the network connection, the work in hand, and what it earned (ledger totals). */
export const WorkSchema = z.object({
  /** What must happen before this machine can earn ("Create a wallet…"); null when nothing is missing. */
  blocker: z.string().nullable(),
  network: NetworkStatusSchema.nullable(),
  tasks: z.array(TaskViewSchema),
  /** Why the runtime could not use a preferred execution provider, per lane. */
  notices: z.array(z.string()),
  /** What the network in use confirmed and has pending (null until it is known): never another network's. */
  earned: EarningsBucketSchema.nullable(),
  /** Each network earned on, the one in use first; readable with a locked wallet. */
  networks: z.array(NetworkEarningsSchema).optional(),
  /** The earnings history's first check after a start, while it runs. */
  ledgerCheck: LedgerCheckSchema.nullable().optional(),
});
export type Work = z.infer<typeof WorkSchema>;

/** What the agent is doing and, above all, why: shown on the dashboard and in the tray tooltip. */
export const StatusSchema = z.object({
  code: z.enum(['off', 'waiting', 'working', 'paused']),
  reason: z.string(),
});
export type Status = z.infer<typeof StatusSchema>;

export const AgentStateSchema = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'headless']),
  sharing: z.boolean(),
  /** Moves with every change of the settings, whoever made it (a page, the CLI, a fleet owner): copies read again. */
  settingsRevision: z.number().int().nonnegative(),
  status: StatusSchema,
  startedAt: z.number(),
  notices: z.array(NoticeSchema),
  /** The policy's latest answer per device, with its reasons; null before the first sample. */
  decision: DecisionSchema.nullable(),
  /** The latest sample the decision rests on (live use, temperatures, power). */
  signals: SignalsSchema.nullable(),
  /** Where idle time comes from on this system ("none" means idle-only cannot work here). */
  idleSource: z.string(),
  /** Devices, capability profile, what is unusable and why; null until the first detection finished. */
  hardware: HardwareSnapshotSchema.nullable(),
  work: WorkSchema,
  /** Address, balances, claimable amount, claims: never a key or a phrase. */
  wallet: WalletViewSchema,
});
export type AgentState = z.infer<typeof AgentStateSchema>;

export const ActivityEntrySchema = z.object({
  at: z.number(),
  kind: z.enum(['share', 'settings', 'status', 'notice', 'policy', 'wallet', 'network']),
  message: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;

/** News worth interrupting the user for (chosen in core/notices/tell.ts): a desktop notification, not sent to the UI. */
export const TellSchema = z.object({ kind: TellKindSchema, key: z.string(), title: z.string(), body: z.string() });
export type Tell = z.infer<typeof TellSchema>;

/** Pushed to every subscriber (IPC channel or WebSocket). */
export const AgentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: AgentStateSchema }),
  z.object({ type: z.literal('activity'), entry: ActivityEntrySchema }),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;
