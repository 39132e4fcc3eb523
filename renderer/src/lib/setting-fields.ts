import { getContext, setContext } from 'svelte';
import type { Settings, SettingsPatch } from '../../../main/common/settings.js';
import type { SaveState } from './save-state.js';

type KeysOf<T, V> = { [K in keyof T & string]-?: T[K] extends V ? K : never }[keyof T & string];
/** The groups a field may sit in: plain objects, not lists, per-GPU maps or a nullable group. */
type Group = {
  [K in keyof Settings & string]-?: Settings[K] extends readonly unknown[] ? never : Settings[K] extends object ? K : never;
}[keyof Settings & string];

/** A setting of type V by its path, as the agent's field errors name it: "cpuSharePercent", "thermal.maxCpuC". */
export type SettingPath<V> = KeysOf<Settings, V> | { [G in Group]: `${G}.${KeysOf<Settings[G], V>}` }[Group];
/** The type of the setting at path P. */
export type SettingValue<P> = P extends `${infer G extends Group}.${infer K}`
  ? K extends keyof Settings[G]
    ? Settings[G][K]
    : never
  : P extends keyof Settings
    ? Settings[P]
    : never;

const split = (path: string): [keyof Settings, string | undefined] => {
  const [group, key] = path.split('.');
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- a SettingPath's first part is a key of Settings
  return [group as keyof Settings, key];
};

/** The value at `path`. */
export function settingAt<P extends SettingPath<unknown>>(settings: Settings, path: P): SettingValue<P> {
  const [group, key] = split(path);
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- with a key, the path names a group of fields
  const value = key === undefined ? settings[group] : (settings[group] as Record<string, unknown>)[key];
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the field at P, by SettingValue's definition
  return value as SettingValue<P>;
}

/** The patch that sets `path` to `value`: a group is sent whole, with its other fields as they are. */
export function settingPatch<P extends SettingPath<unknown>>(settings: Settings, path: P, value: SettingValue<P>): SettingsPatch {
  const [group, key] = split(path);
  // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- with a key, the path names a group of fields
  return { [group]: key === undefined ? value : { ...(settings[group] as object), [key]: value } };
}

/** What the Settings page shares with its fields: the settings shown, each field's error and save, one way to change. */
export interface SettingsForm {
  readonly settings: Settings;
  readonly errors: Record<string, string>;
  readonly saves: Record<string, SaveState>;
  apply(patch: SettingsPatch, field: string): Promise<void>;
}

const FORM = Symbol('settings-form');
export const provideSettingsForm = (form: SettingsForm): SettingsForm => setContext(FORM, form);
export const settingsForm = (): SettingsForm => getContext<SettingsForm>(FORM);
