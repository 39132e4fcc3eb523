import { z } from 'zod';
import { DEFAULT_NETWORK_SETTINGS, NetworkSettingsSchema } from './network.js';
import { ChainSettingsSchema } from './wallet.js';

/** What the app may tell you about (desktop notifications; the activity log in headless mode). */
export const TellKindSchema = z.enum(['pause', 'wallet', 'claim', 'device', 'network', 'update', 'fleet']);
export type TellKind = z.infer<typeof TellKindSchema>;

export const SETTINGS_VERSION = 5;

/** The unit after a count: " days" after 1 is " day" ("At least 1 days" read wrong). */
const unitOf = (count: number, unit: string): string => (count === 1 ? unit.replace(/s$/, '') : unit);
const whole = (min: number, max: number, unit: string) =>
  z
    .number({ error: 'Enter a number' })
    .int('Use a whole number')
    .min(min, `At least ${min}${unitOf(min, unit)}`)
    .max(max, `At most ${max}${unitOf(max, unit)}`);
const percent = whole(0, 100, ' %');
/** A task needs some memory: 0 % would accept work that can never run. */
const memoryPercent = whole(1, 100, ' %');
const celsius = whole(40, 110, ' °C');

/** A member is news after half an hour without an answer, an hour sharing without earning, or at 90 °C. */
const FLEET_ALERTS = { offlineMinutes: 30, notEarningMinutes: 60, maxTempC: 90 };

/** 1 SYNOR: the automatic claim's threshold until the user sets one. */
const AUTO_CLAIM_THRESHOLD_WEI = (10n ** 18n).toString();

export const PowerModeSchema = z.enum(['efficiency', 'balanced', 'performance']);
export type PowerMode = z.infer<typeof PowerModeSchema>;

/** Per GPU, keyed by its stable id (UUID where the driver gives one). GPUs not listed use `gpuDefaults`. */
export const GpuSettingsSchema = z
  .object({
    enabled: z.boolean(),
    /** Duty cycle: the share of time the GPU may run our work. */
    sharePercent: percent,
    /** null: no limit beyond what the card has. */
    vramLimitMiB: whole(256, 1 << 20, ' MiB').nullable(),
    maxTempC: celsius,
  })
  .strict();
export type GpuSettings = z.infer<typeof GpuSettingsSchema>;

/** 7 rows (Sunday first, as Date.getDay) of 24 hours, local time: true = may share in that hour. */
export const WeekGridSchema = z.array(z.array(z.boolean()).length(24)).length(7);
export type WeekGrid = z.infer<typeof WeekGridSchema>;

export const SettingsSchema = z
  .object({
    schemaVersion: z.literal(SETTINGS_VERSION),
    /** The share toggle, remembered across restarts: "install, toggle, forget". */
    sharing: z.boolean(),
    /** The processor's own switch (GPUs have theirs in `gpus`): off, it takes no work while the GPUs may. Older files: on. */
    cpuEnabled: z.boolean().default(true),
    cpuSharePercent: percent,
    memorySharePercent: memoryPercent,
    /** Disk the network's downloads (models) may fill, partial downloads included. */
    diskBudgetGiB: whole(1, 4096, ' GiB'),
    /** Whole days before today whose per-task receipts are kept to prove each task; earnings are kept for ever. */
    receiptDetailDays: whole(1, 365, ' days').default(7),
    gpuDefaults: GpuSettingsSchema,
    gpus: z.record(z.string().min(1).max(128), GpuSettingsSchema),
    idleOnly: z.object({ enabled: z.boolean(), minutes: whole(1, 240, ' minutes') }).strict(),
    /** Pause while programs other than ours use more than this much CPU; null = never. */
    pauseWhenUserCpuAbovePercent: whole(5, 100, ' %').nullable(),
    power: z
      .object({
        pauseOnBattery: z.boolean(),
        /** Used when on battery is allowed: pause below this charge. */
        minBatteryPercent: percent,
        chargingOnly: z.boolean(),
        mode: PowerModeSchema,
      })
      .strict(),
    thermal: z
      .object({
        maxCpuC: celsius,
        /** Resume only once this many degrees below the limit, so the app does not flap at the threshold. */
        hysteresisC: whole(1, 20, ' °C'),
      })
      .strict(),
    schedule: z.object({ enabled: z.boolean(), week: WeekGridSchema }).strict(),
    /** "Pause until …": epoch ms, or null. */
    pausedUntil: z.number().int().nonnegative().nullable(),
    pauseWhileApps: z.array(z.string().trim().min(1).max(128)).max(64),
    pauseWhileFullscreen: z.boolean(),
    /** Coordinator (null: the embedded local devnet), electricity tariff, SYNOR price. */
    network: NetworkSettingsSchema,
    /** The payout chain of a real network; null with the devnet, whose local chain is set up at each start. */
    chain: ChainSettingsSchema.nullable(),
    /** Start with the computer (desktop app only; it starts in the tray, without a window). */
    startAtLogin: z.boolean(),
    /** Kinds of news shown; a missing list (files before it existed) means all of them. */
    notifications: z
      .array(TellKindSchema)
      .max(TellKindSchema.options.length)
      .default([...TellKindSchema.options]),
    /**
     * Claim by itself once what is claimable reaches the threshold (wei) and the wallet can pay the fee; off by default,
     * since each claim costs a fee. Files before it existed read as off.
     */
    autoClaim: z
      .object({ enabled: z.boolean(), thresholdWei: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'Enter an amount of SYNOR') })
      .strict()
      .default({ enabled: false, thresholdWei: AUTO_CLAIM_THRESHOLD_WEI }),
    /**
     * Fleet pairing (docs/fleet.md): off until the user turns it on; only then is the listener for paired machines
     * bound on the local network. Port 0: any free one, for this run. `broker`: an MQTT broker both sides dial out to,
     * for machines on other networks (fleet/broker-transport.ts); absent or null: none.
     */
    fleet: z
      .object({
        enabled: z.boolean(),
        port: whole(0, 65535, ''),
        broker: z
          .string()
          .max(300)
          .regex(/^(mqtts?|wss?):\/\/[^\s/]+/, 'Enter a broker address like mqtts://broker.example.org:8883')
          .nullable()
          .optional(),
      })
      .strict()
      .default({ enabled: false, port: 7434 }),
    /** When the owner of a fleet is told about a member: offline, sharing without earning, too hot (fleet/alerts.ts). */
    fleetAlerts: z
      .object({ offlineMinutes: whole(1, 10_080, ' minutes'), notEarningMinutes: whole(10, 10_080, ' minutes'), maxTempC: celsius })
      .strict()
      .default(FLEET_ALERTS),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

type Undefaulted<T extends z.ZodRawShape> = { [K in keyof T]: T[K] extends z.ZodDefault<infer Inner> ? Inner : T[K] };
/** A field's default is for files written before it existed: in a patch it would undo the user's value. */
const undefaulted = <T extends z.ZodRawShape>(shape: T): Undefaulted<T> =>
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- each field of the shape, its default taken off: Undefaulted's definition
  Object.fromEntries(
    Object.entries(shape).map(([key, field]) => [key, field instanceof z.ZodDefault ? field.unwrap() : field]),
  ) as Undefaulted<T>;

/** What a client may change: any top-level field (one left out keeps its value); nested groups are replaced whole. */
export const SettingsPatchSchema = z
  .object(undefaulted(SettingsSchema.omit({ schemaVersion: true }).shape))
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

const allWeek = (): WeekGrid => Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => true));

export const DEFAULT_SETTINGS: Settings = {
  schemaVersion: SETTINGS_VERSION,
  sharing: false,
  cpuEnabled: true,
  cpuSharePercent: 50,
  memorySharePercent: 40,
  diskBudgetGiB: 8,
  receiptDetailDays: 7,
  gpuDefaults: { enabled: true, sharePercent: 70, vramLimitMiB: null, maxTempC: 80 },
  gpus: {},
  // Off: many systems (headless, Wayland without the idle protocol) cannot report idle time, and a default that
  // waits forever there earns nothing.
  idleOnly: { enabled: false, minutes: 10 },
  // Off: on a machine that is always busy (a build box, a shared server: this project's test machine sat at 75-100 %)
  // a threshold never lets work start. Jobs run at the lowest priority within the CPU share, so the OS gives the
  // user's programs the processor first anyway; the Light preset adds the pause.
  pauseWhenUserCpuAbovePercent: null,
  power: { pauseOnBattery: true, minBatteryPercent: 50, chargingOnly: false, mode: 'balanced' },
  thermal: { maxCpuC: 85, hysteresisC: 5 },
  schedule: { enabled: false, week: allWeek() },
  pausedUntil: null,
  pauseWhileApps: [],
  pauseWhileFullscreen: true,
  network: DEFAULT_NETWORK_SETTINGS,
  chain: null,
  startAtLogin: true,
  notifications: [...TellKindSchema.options],
  autoClaim: { enabled: false, thresholdWei: AUTO_CLAIM_THRESHOLD_WEI },
  fleet: { enabled: false, port: 7434 },
  fleetAlerts: FLEET_ALERTS,
};

/**
 * First-run choices. Each is a patch over the current settings. None touches "only when I am away": a preset
 * must not switch on a policy this system may not be able to honour.
 */
export const PRESETS = {
  light: {
    cpuSharePercent: 25,
    memorySharePercent: 25,
    gpuDefaults: { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 40, maxTempC: 75 },
    pauseWhenUserCpuAbovePercent: 60,
    power: { ...DEFAULT_SETTINGS.power, mode: 'efficiency' },
  },
  balanced: {
    cpuSharePercent: 50,
    memorySharePercent: 40,
    gpuDefaults: DEFAULT_SETTINGS.gpuDefaults,
    pauseWhenUserCpuAbovePercent: null,
    power: DEFAULT_SETTINGS.power,
  },
  max: {
    cpuSharePercent: 90,
    memorySharePercent: 70,
    gpuDefaults: { ...DEFAULT_SETTINGS.gpuDefaults, sharePercent: 100, maxTempC: 83 },
    pauseWhenUserCpuAbovePercent: null,
    power: { ...DEFAULT_SETTINGS.power, mode: 'performance' },
  },
} as const satisfies Record<string, SettingsPatch>;
export type PresetName = keyof typeof PRESETS;

/**
 * Older files, upgraded one version at a time. Each step takes what the previous version wrote and
 * returns the next version's shape; the result is then validated like any file.
 */
export const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {
  // v1 had sharing, cpuSharePercent and idleOnly; everything else arrived in v2.
  1: (old) => ({ ...DEFAULT_SETTINGS, ...old, schemaVersion: 2 }),
  // v3 added where to earn: the network and its payout chain.
  2: (old) => ({ ...old, network: DEFAULT_NETWORK_SETTINGS, chain: null, schemaVersion: 3 }),
  // v4 added starting with the computer.
  3: (old) => ({ ...old, startAtLogin: true, schemaVersion: 4 }),
  // v5 added the disk budget for downloads (8 GiB was the fixed model cache size before).
  4: (old) => ({ ...old, diskBudgetGiB: 8, schemaVersion: 5 }),
};
