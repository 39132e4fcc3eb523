import { errorText, fail, fieldErrors, ok, type Result } from '../../common/result.js';
import { SettingsSchema, type Settings } from '../../common/settings.js';
import type { Logger } from '../ports.js';
import type { SettingsStore } from './store.js';

/**
 * The settings in force and the one way to change them: a patch is checked whole, saved (one write at a time, so two
 * quick edits cannot interleave on disk), and only then takes effect, through `changed`, which the next change waits for.
 */
export class SettingsKeeper {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: SettingsStore,
    private current: Settings,
    private readonly o: { logger: Logger; changed: (before: Settings, next: Settings) => Promise<void> },
  ) {}

  get settings(): Settings {
    return this.current;
  }

  /** Checked again whole: a patch over IPC may carry explicit undefined, and later rules span fields. */
  patch(patch: object): Promise<Result<Settings>> {
    const merged = SettingsSchema.safeParse({ ...this.current, ...patch });
    if (!merged.success) {
      return Promise.resolve(fail('VALIDATION', 'Some settings are not valid; nothing was saved.', fieldErrors(merged.error)));
    }
    const next = merged.data;
    const run = this.writes.then(async (): Promise<Result<Settings>> => {
      try {
        await this.store.save(next);
      } catch (error) {
        const message = `Settings could not be saved to ${this.store.file}: ${errorText(error)}. Nothing was changed.`;
        this.o.logger.error(message);
        return fail('STORAGE', message);
      }
      const before = this.current;
      this.current = next;
      await this.o.changed(before, next);
      return ok(next);
    });
    this.writes = run;
    return run;
  }

  /** Waits for the writes under way. */
  async settled(): Promise<void> {
    await this.writes;
  }
}
