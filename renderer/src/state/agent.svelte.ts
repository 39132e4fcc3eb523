import type { CommandArgs, CommandName, CommandResult } from '../../../main/common/contract';
import type { Result } from '../../../main/common/result';
import type { PresetName, Settings, SettingsPatch } from '../../../main/common/settings';
import type { ActivityEntry, AgentState } from '../../../main/common/state';
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

/** The UI's copy of the agent: filled from one client, kept live by its events. */
class AgentStore {
  state = $state<AgentState | null>(null);
  settings = $state<Settings | null>(null);
  activity = $state<ActivityEntry[]>([]);
  connection = $state<Connection>('connecting');
  history = $state<UsePoint[]>([]);
  /** The last failed call, shown as a banner until the next success (field errors show beside their inputs). */
  error = $state<string | null>(null);

  private readonly client = createClient();

  constructor() {
    this.client.onEvent((event) => {
      if (event.type === 'state') {
        this.state = event.state;
        this.remember(event.state);
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

  async call<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<Result<CommandResult<C>>> {
    const result = await this.client.call(cmd, args);
    this.error = result.ok || result.error.code === 'VALIDATION' ? null : result.error.message;
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
    if (activity.ok) this.activity = activity.value.toReversed().slice(0, ACTIVITY_SHOWN);
  }

  async setShare(on: boolean): Promise<void> {
    const result = await this.call('setShare', { on });
    if (result.ok) this.state = result.value;
  }

  /** Returns the field errors, if any; on success the saved settings replace the local copy. */
  async updateSettings(patch: SettingsPatch): Promise<Record<string, string>> {
    const result = await this.call('updateSettings', patch);
    if (result.ok) {
      this.settings = result.value;
      return {};
    }
    return result.error.fields ?? {};
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
}

export const agent = new AgentStore();
