import type { CommandArgs, CommandName, CommandResult } from '../../../main/common/contract';
import type { AgentError, Result } from '../../../main/common/result';
import type { PresetName, Settings, SettingsPatch } from '../../../main/common/settings';
import type { ActivityEntry, AgentState } from '../../../main/common/state';
import { t } from '../i18n/en';
import { createClient, type Connection } from '../lib/agent-client';

const ACTIVITY_SHOWN = 200;
/** Samples kept for the dashboard's live charts (a few minutes at the policy's tick rate). */
const HISTORY = 90;

export interface UsePoint {
  at: number;
  /** % of the machine: other programs, and our jobs. */
  other: number;
  ours: number;
}

/** A zod default message ("Too small: expected number to be >=0") is schema text: the field gets plain words instead. */
const SCHEMA_TEXT = /expected|Invalid input|Too (small|big)|received|>=|<=/i;

/** What the page says for an error: the field messages as the agent wrote them unless they are schema text. */
export function fieldWords(fields: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields ?? {}).map(([key, message]) => [key, SCHEMA_TEXT.test(message) ? t.errors.field : message]),
  );
}

/** One sentence for a failed call: codes with a fixed meaning have the UI's words; others keep the agent's sentence. */
export function errorWords(error: AgentError): string {
  const codes: Partial<Record<AgentError['code'], string>> = t.errors.codes;
  const fixed = codes[error.code];
  return fixed ?? (SCHEMA_TEXT.test(error.message) ? t.errors.generic : error.message);
}

/** The UI's copy of the agent: filled from one client, kept live by its events. */
class AgentStore {
  state = $state<AgentState | null>(null);
  settings = $state<Settings | null>(null);
  /** The agent's settings revision the copy above was read at; when a state shows another, the copy is read again. */
  private settingsRevision = -1;
  activity = $state<ActivityEntry[]>([]);
  connection = $state<Connection>('connecting');
  history = $state<UsePoint[]>([]);
  /** The last failed call not shown beside its own form, as a banner until the next success. */
  error = $state<string | null>(null);
  /** While not connected every figure on screen is the last one seen: views mark it stale and disable controls. */
  readonly online = $derived(this.connection === 'connected');

  private readonly client = createClient();

  constructor() {
    this.client.onEvent((event) => {
      if (event.type === 'state') {
        this.state = event.state;
        this.remember(event.state);
        // Changed elsewhere (another tab, the CLI, a fleet owner): a form saving a stale group would undo that change.
        if (event.state.settingsRevision !== this.settingsRevision) void this.readSettings(event.state.settingsRevision);
      } else this.activity = [event.entry, ...this.activity].slice(0, ACTIVITY_SHOWN);
    });
    this.client.onConnection((connection) => {
      this.connection = connection;
      // After a reconnect the agent may have changed (or restarted): read it again.
      if (connection === 'connected') void this.refresh();
    });
  }

  private remember(state: AgentState): void {
    const cpu = state.signals?.cpu;
    const at = state.signals?.at;
    if (!cpu || at === undefined || this.history.at(-1)?.at === at || cpu.otherLoadPercent === null) return;
    this.history = [...this.history, { at, other: cpu.otherLoadPercent, ours: cpu.ourLoadPercent ?? 0 }].slice(-HISTORY);
  }

  /** For views that show the error beside their own form: no banner. */
  request<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<Result<CommandResult<C>>> {
    return this.client.call(cmd, args);
  }

  /** A failure shows once, as the page's banner (field errors show beside their inputs instead). */
  async call<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<Result<CommandResult<C>>> {
    const result = await this.client.call(cmd, args);
    if (result.ok) this.error = null;
    else if (result.error.code !== 'VALIDATION' && result.error.code !== 'UNAUTHORIZED') this.error = errorWords(result.error);
    return result;
  }

  async refresh(): Promise<void> {
    const [state, settings, activity] = await Promise.all([
      this.call('getState', {}),
      this.call('getSettings', {}),
      this.call('getActivity', {}),
    ]);
    if (state.ok) this.state = state.value;
    if (settings.ok) this.settings = settings.value;
    if (state.ok && settings.ok) this.settingsRevision = state.value.settingsRevision;
    if (activity.ok) this.activity = activity.value.toReversed().slice(0, ACTIVITY_SHOWN);
  }

  private async readSettings(revision: number): Promise<void> {
    this.settingsRevision = revision;
    const settings = await this.call('getSettings', {});
    if (settings.ok) this.settings = settings.value;
  }

  async setShare(on: boolean): Promise<void> {
    const result = await this.call('setShare', { on });
    if (result.ok) this.state = result.value;
  }

  /** Returns the field errors in words, if any; on success the saved settings replace the local copy. */
  async updateSettings(patch: SettingsPatch): Promise<Record<string, string>> {
    const result = await this.call('updateSettings', patch);
    if (result.ok) {
      this.settings = result.value;
      return {};
    }
    return result.error.fields ? fieldWords(result.error.fields) : { '(root)': errorWords(result.error) };
  }

  /** True when the preset was applied. */
  async applyPreset(name: PresetName): Promise<boolean> {
    const result = await this.call('applyPreset', { name });
    if (result.ok) this.settings = result.value;
    return result.ok;
  }

  async dismissNotice(id: string): Promise<void> {
    const result = await this.call('dismissNotice', { id });
    if (result.ok) this.state = result.value;
  }

  /** When sharing was last turned on, from the activity log (null: off, or before the log's memory). */
  readonly sharingSince = $derived.by((): number | null => {
    if (!this.state?.sharing) return null;
    return this.activity.find((entry) => entry.kind === 'share')?.at ?? null;
  });
}

export const agent = new AgentStore();
