import { z } from 'zod';
import { HardwareSnapshotSchema } from './hardware.js';
import { DecisionSchema, SignalsSchema } from './policy.js';

export const NoticeSchema = z.object({
  id: z.string(),
  level: z.enum(['error', 'warning', 'info']),
  code: z.string(),
  message: z.string(),
});
export type Notice = z.infer<typeof NoticeSchema>;

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
});
export type AgentState = z.infer<typeof AgentStateSchema>;

export const ActivityEntrySchema = z.object({
  at: z.number(),
  kind: z.enum(['share', 'settings', 'status', 'notice', 'policy']),
  message: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntrySchema>;

/** Pushed to every subscriber (IPC channel or WebSocket). */
export const AgentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), state: AgentStateSchema }),
  z.object({ type: z.literal('activity'), entry: ActivityEntrySchema }),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;
