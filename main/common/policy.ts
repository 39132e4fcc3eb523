import { z } from 'zod';

/** What the monitor saw. null always means "this system cannot tell", never "no". */
export const SignalsSchema = z.object({
  at: z.number(),
  /** Minutes east of UTC, for the local-time schedule. */
  utcOffsetMinutes: z.number().int(),
  idleSeconds: z.number().nonnegative().nullable(),
  locked: z.boolean().nullable(),
  power: z.object({
    onBattery: z.boolean().nullable(),
    batteryPercent: z.number().min(0).max(100).nullable(),
    charging: z.boolean().nullable(),
    batterySaver: z.boolean().nullable(),
  }),
  cpu: z.object({
    cores: z.number().int().positive(),
    /** Load of everything that is not our job processes, % of the whole machine. */
    otherLoadPercent: z.number().min(0).max(100).nullable(),
    ourLoadPercent: z.number().min(0).max(100).nullable(),
    tempC: z.number().nullable(),
  }),
  memory: z.object({ totalBytes: z.number().nonnegative(), availableBytes: z.number().nonnegative() }),
  gpus: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      tempC: z.number().nullable(),
      utilizationPercent: z.number().nullable(),
      /** Share of the last sample's time our tasks ran on it (null before a second sample): the rest of its use is the user's. */
      ourUtilizationPercent: z.number().min(0).max(100).nullable(),
      vramTotalMiB: z.number().nullable(),
    }),
  ),
  /** Names of running programs the user listed, found running now; null when the OS cannot tell. */
  blockingApps: z.array(z.string()).nullable(),
  fullscreen: z.boolean().nullable(),
  suspended: z.boolean(),
});
export type Signals = z.infer<typeof SignalsSchema>;

export const ReasonCodeSchema = z.enum([
  'SHARING_OFF',
  'PAUSED_UNTIL',
  'SUSPENDED',
  'OUTSIDE_SCHEDULE',
  'WAITING_FOR_IDLE',
  'IDLE_UNKNOWN',
  'ON_BATTERY',
  'BATTERY_LOW',
  'NOT_CHARGING',
  'BATTERY_SAVER',
  'USER_BUSY',
  'CPU_HOT',
  'GPU_HOT',
  'APP_RUNNING',
  'FULLSCREEN',
  'DEVICE_DISABLED',
  'SHARE_ZERO',
  'CANNOT_TELL', // a setting asks for something this OS does not report: said once, not blocking
]);
export type ReasonCode = z.infer<typeof ReasonCodeSchema>;

export const ReasonSchema = z.object({ code: ReasonCodeSchema, message: z.string(), blocking: z.boolean() });
export type Reason = z.infer<typeof ReasonSchema>;

export const LimitsSchema = z.object({
  threads: z.number().int().nonnegative(),
  /** Share of wall time the device's jobs may run (0..1). */
  dutyCycle: z.number().min(0).max(1),
  memoryBudgetBytes: z.number().nonnegative(),
  vramBudgetMiB: z.number().nonnegative().nullable(),
  priority: z.enum(['idle', 'low']),
});
export type Limits = z.infer<typeof LimitsSchema>;

export const DeviceDecisionSchema = z.object({
  deviceId: z.string(),
  kind: z.enum(['cpu', 'gpu']),
  run: z.boolean(),
  limits: LimitsSchema,
  reasons: z.array(ReasonSchema),
});
export type DeviceDecision = z.infer<typeof DeviceDecisionSchema>;

export const DecisionSchema = z.object({ at: z.number(), devices: z.array(DeviceDecisionSchema) });
export type Decision = z.infer<typeof DecisionSchema>;

export const CPU_DEVICE_ID = 'cpu';
