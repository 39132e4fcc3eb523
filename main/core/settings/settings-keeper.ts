import { errorText, fail, fieldErrors, ok, type Result } from '../../common/result.js';
import { SerialQueue } from '../../common/serial.js';
import { SettingsSchema, type Settings } from '../../common/settings.js';
import type { Logger } from '../ports.js';
import type { SettingsStore } from './store.js';

/**
 * The settings in force and the one way to change them: a patch is checked whole, saved (one write at a time, so two
 * quick edits cannot interleave on disk), and only then takes effect, through `changed`, which the next change waits for.
 */
export class SettingsKeeper {
  private readonly writes = new SerialQueue();
  private changes = 0;

  constructor(
    private readonly store: SettingsStore,
    private current: Settings,
    private readonly o: { logger: Logger; changed: (before: Settings, next: Settings) => Promise<void> },
  ) {}

  get settings(): Settings {
    return this.current;
  }

  /** How many changes took effect since the start: a page holding a copy reads the settings again when it moves. */
  get revision(): number {
    return this.changes;
  }

  /**
   * Merged in its turn, over the change before it (merged at the call, a quick second patch undid the first), and
   * checked again whole: a patch over IPC may carry explicit undefined, and later rules span fields.
   */
  patch(patch: object): Promise<Result<Settings>> {
    return this.writes.run(async (): Promise<Result<Settings>> => {
      const merged = SettingsSchema.safeParse({ ...this.current, ...patch });
      if (!merged.success) return fail('VALIDATION', 'Some settings are not valid; nothing was saved.', fieldErrors(merged.error));
      const next = merged.data;
      try {
        await this.store.save(next);
      } catch (error) {
        const message = `Settings could not be saved to ${this.store.file}: ${errorText(error)}. Nothing was changed.`;
        this.o.logger.error(message);
        return fail('STORAGE', message);
      }
      const before = this.current;
      this.current = next;
      this.changes += 1;
      await this.o.changed(before, next);
      return ok(next);
    });
  }

  /** Waits for the writes under way. */
  settled(): Promise<void> {
    return this.writes.idle();
  }
}
