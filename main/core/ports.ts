import type { HardwareProbe } from './hardware/probe.js';
import type { SecretStore } from './wallet/secret-store.js';

/** What the agent needs from its host. Each port has a real implementation per host and a fake in unit tests. */
export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms`; returns a cancel function. Never keeps the process alive on its own. */
  after(ms: number, fn: () => void): () => void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How long the user has left keyboard and mouse alone. null: this system cannot tell. */
export interface IdleSource {
  /** Where the answer comes from, for the Devices screen ("Electron powerMonitor", "logind", "none"). */
  readonly name: string;
  idleSeconds(): Promise<number | null>;
  locked(): Promise<boolean | null>;
}

/** Tells the moment the user touches keyboard or mouse, so running work stops before the next policy tick. */
export interface InputWatcher {
  /** Where the events come from ("X11 XInput2 raw events", "none"). */
  readonly name: string;
  /**
   * Starts watching: `onInput` runs (on a later event-loop turn, never inside this call) each time new input is seen,
   * within milliseconds of it. Returns the stop function, or null where this system cannot watch.
   */
  watch(onInput: () => void): (() => void) | null;
}

export interface PowerReading {
  onBattery: boolean | null;
  batteryPercent: number | null;
  charging: boolean | null;
  batterySaver: boolean | null;
}

export interface PowerSource {
  read(): Promise<PowerReading>;
}

export type SessionEvent = 'suspend' | 'resume' | 'lock' | 'unlock' | 'user-active';

/** Pushes what polling would see too late: sleep, wake, screen lock, and (where the OS says) user input. */
export interface SessionEvents {
  subscribe(listener: (event: SessionEvent) => void): () => void;
}

export interface CpuTimes {
  /** Cumulative busy and total CPU time of the whole machine, in ms summed over all cores. */
  busyMs: number;
  totalMs: number;
  /** Cumulative CPU time of the given processes (our jobs), or null where the OS does not say. */
  oursMs: number | null;
}

/** Cheap counters read on every policy tick. */
export interface SystemSampler {
  cpuTimes(ourPids: readonly number[]): Promise<CpuTimes>;
  cpuTempC(): Promise<number | null>;
  /** Lower-case names of running programs, or null where the OS does not say. */
  processNames(): Promise<string[] | null>;
  /** Whether another program is full screen, or null where the OS does not say. */
  fullscreen(): Promise<boolean | null>;
}

/**
 * How the desktop app saves a wallet backup where the user chooses (a save dialog, main/electron/save-dialog.ts):
 * resolves to the full path written, or null when the user closed the dialog. Headless mode has none: the page
 * saves the backup as a browser download instead, and the agent itself never writes it outside its data folder.
 */
export type BackupSaver = (fileName: string, json: string) => Promise<string | null>;

export interface Ports {
  /** Native addon or JS fallback (see hardware/default-probe.ts); a fake with canned answers in unit tests. */
  hardware: HardwareProbe;
  clock: Clock;
  logger: Logger;
  /** OS-protected storage for the wallet key (keychain, Electron safeStorage); null where there is none. */
  secrets: SecretStore | null;
  /** The desktop app's save dialog for wallet backups; headless mode has none (the page downloads them). */
  saveBackup?: BackupSaver;
  idle: IdleSource;
  /** Watched only while tasks run and "only when I am away" is on: the one time input changes the decision. */
  input: InputWatcher;
  power: PowerSource;
  session: SessionEvents;
  system: SystemSampler;
}
