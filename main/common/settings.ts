import { z } from 'zod';

export const SETTINGS_VERSION = 1;

export const SettingsSchema = z
  .object({
    schemaVersion: z.literal(SETTINGS_VERSION),
    /** The share toggle, remembered across restarts: "install, toggle, forget". */
    sharing: z.boolean(),
    cpuSharePercent: z.number({ error: 'Enter a number' }).int('Use a whole number').min(0, 'At least 0 %').max(100, 'At most 100 %'),
    idleOnly: z
      .object({
        enabled: z.boolean(),
        minutes: z.number({ error: 'Enter a number' }).int('Use a whole number').min(1, 'At least 1 minute').max(240, 'At most 240 minutes'),
      })
      .strict(),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

/** What a client may change: any top-level field; nested groups are replaced whole. */
export const SettingsPatchSchema = SettingsSchema.omit({ schemaVersion: true }).partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = {
  schemaVersion: SETTINGS_VERSION,
  sharing: false,
  cpuSharePercent: 50,
  idleOnly: { enabled: true, minutes: 10 },
};
