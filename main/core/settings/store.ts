import { readFile, rename } from 'node:fs/promises';
import { errorText } from '../../common/result.js';
import { DEFAULT_SETTINGS, MIGRATIONS, SETTINGS_VERSION, SettingsSchema, type Settings } from '../../common/settings.js';
import type { Notice } from '../../common/state.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { Clock } from '../ports.js';
import { errnoCode } from '../../common/errno.js';
import { fieldOf } from '../../common/keys.js';

export interface LoadedSettings {
  settings: Settings;
  /** Set when the file on disk could not be used; the UI shows it until dismissed. */
  notice?: Notice;
}

export class SettingsStore {
  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {}

  /** Never throws: a missing file means first run; a bad one is kept aside and defaults load. */
  async load(): Promise<LoadedSettings> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { settings: DEFAULT_SETTINGS };
      return this.setAside(`it could not be read (${errorText(error)})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return this.setAside(`it is not valid JSON (${errorText(error)})`);
    }
    let version = fieldOf(json, 'schemaVersion');
    if (typeof version === 'number' && version > SETTINGS_VERSION) {
      return this.setAside(`it was written by a newer version of the app (settings version ${version})`);
    }
    while (typeof version === 'number' && Object.hasOwn(MIGRATIONS, version)) {
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion, @typescript-eslint/consistent-type-assertions -- hasOwn found the step; JSON with a schemaVersion is an object
      json = MIGRATIONS[version]!(json as Record<string, unknown>);
      version = fieldOf(json, 'schemaVersion');
    }
    const parsed = SettingsSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first && first.path.length > 0 ? ` at "${first.path.join('.')}"` : '';
      return this.setAside(`it has an invalid value${where}: ${first?.message ?? 'unknown problem'}`);
    }
    return { settings: parsed.data };
  }

  save(settings: Settings): Promise<void> {
    return writeFileAtomic(this.file, `${JSON.stringify(settings, null, 2)}\n`);
  }

  private async setAside(problem: string): Promise<LoadedSettings> {
    const aside = `${this.file}.bad-${new Date(this.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    let kept: string;
    try {
      await rename(this.file, aside);
      kept = `It was kept as ${aside}.`;
    } catch (error) {
      kept = `It could not be moved aside (${errorText(error)}) and was left in place; saving settings will replace it.`;
    }
    return {
      settings: DEFAULT_SETTINGS,
      notice: {
        id: 'settings-unusable',
        level: 'error',
        code: 'SETTINGS_UNUSABLE',
        message: `Your settings file ${this.file} could not be used: ${problem}. ${kept} Default settings are in use.`,
      },
    };
  }
}
