import { z } from 'zod';
import { keysOf } from './keys.js';
import { PRESETS, SettingsPatchSchema, SettingsSchema } from './settings.js';
import { DeviceHistorySchema } from './device-history.js';
import { fleetCommands } from './fleet.js';
import { HardwareSnapshotSchema } from './hardware.js';
import { EarningsQuerySchema, EarningsSummarySchema, EstimatesSchema } from './network.js';
import { ReceiptSchema } from './protocol.js';
import { delegationCommands } from './delegation.js';
import { ActivityEntrySchema, AgentStateSchema } from './state.js';
import { walletCommands } from './wallet.js';
import { WebGpuReportSchema } from './webgpu.js';

const NoArgs = z.object({}).strict().optional();

/**
 * The one agent API. IPC (Electron) and HTTP (headless) both carry `{ cmd, args }` and answer a Result;
 * both ends parse `args` with these schemas. Events arrive separately (IPC channel / WebSocket).
 */
export const commands = {
  getState: { args: NoArgs, result: AgentStateSchema },
  setShare: { args: z.object({ on: z.boolean() }).strict(), result: AgentStateSchema },
  getSettings: { args: NoArgs, result: SettingsSchema },
  updateSettings: { args: SettingsPatchSchema, result: SettingsSchema },
  applyPreset: { args: z.object({ name: z.enum(keysOf(PRESETS)) }).strict(), result: SettingsSchema },
  getActivity: { args: NoArgs, result: z.array(ActivityEntrySchema) },
  getHardware: { args: NoArgs, result: HardwareSnapshotSchema.nullable() },
  /** Starts a CPU re-measure; progress and the result arrive in state events. */
  runBenchmark: { args: NoArgs, result: HardwareSnapshotSchema.nullable() },
  /** A WebGPU benchmark run by the renderer (renderer/src/lib/gpu), parsed whole here at the boundary. */
  submitWebGpuReport: {
    args: z.object({ report: WebGpuReportSchema }).strict(),
    result: z.object({ deviceId: z.string().nullable(), note: z.string() }),
  },
  /** Each device's speed, use and temperature over the last hour (the Devices page's graphs). */
  getDeviceHistory: { args: NoArgs, result: DeviceHistorySchema },
  dismissNotice: { args: z.object({ id: z.string().max(200) }).strict(), result: AgentStateSchema },
  getEarnings: { args: EarningsQuerySchema.omit({ utcOffsetMinutes: true }), result: EarningsSummarySchema },
  /** CSV of every receipt in the range, for the user's records or taxes. */
  exportEarningsCsv: {
    args: EarningsQuerySchema.omit({ utcOffsetMinutes: true }),
    result: z.object({ fileName: z.string(), csv: z.string() }),
  },
  /** The seed's estimate, this user's projection net of electricity, and what was earned, over the last `days`. */
  getEstimates: { args: z.object({ days: z.number().int().min(1).max(365) }).strict(), result: EstimatesSchema },
  /** The newest receipts, newest first; each one's coordinator signature was checked before it entered the ledger. */
  getReceipts: {
    args: z.object({ limit: z.number().int().min(1).max(500) }).strict(),
    result: z.array(ReceiptSchema.extend({ devnet: z.boolean(), coordinator: z.string() })),
  },
  ...walletCommands,
  ...delegationCommands,
  ...fleetCommands,
} as const;

export type CommandName = keyof typeof commands;
export type CommandArgs<C extends CommandName> = z.input<(typeof commands)[C]['args']>;
export type CommandResult<C extends CommandName> = z.output<(typeof commands)[C]['result']>;

// eslint-disable-next-line no-restricted-syntax -- two steps: the command's own schema parses args once cmd is known (agent-commands.ts)
export const RequestSchema = z.object({ cmd: z.string().max(64), args: z.unknown().optional() }).strict();

export const isCommandName = (cmd: string): cmd is CommandName => Object.hasOwn(commands, cmd);
