import { join } from 'node:path';
import type { z } from 'zod';
import { commands, isCommandName, RequestSchema, type CommandName, type CommandResult } from '../common/contract.js';
import { fail, fieldErrors, ok, type Result } from '../common/result.js';
import { SettingsSchema, type Settings } from '../common/settings.js';
import type { ActivityEntry, AgentEvent, AgentState, Notice, Status } from '../common/state.js';
import { Emitter } from './events.js';
import type { AppPaths } from './paths.js';
import type { Ports } from './ports.js';
import { SettingsStore } from './settings/store.js';

export interface AgentOptions {
  ports: Ports;
  paths: AppPaths;
  mode: AgentState['mode'];
  version: string;
}

export interface Agent {
  /** Parses an untrusted `{ cmd, args }` and runs it. Never throws. */
  call(request: unknown): Promise<Result<unknown>>;
  subscribe(listener: (event: AgentEvent) => void): () => void;
  state(): AgentState;
  settings(): Settings;
}

const ACTIVITY_LIMIT = 500;

type Handlers = {
  [C in CommandName]: (args: z.output<(typeof commands)[C]['args']>) => Promise<Result<CommandResult<C>>>;
};

function statusFor(settings: Settings): Status {
  if (!settings.sharing) return { code: 'off', reason: 'Sharing is off. Turn it on to contribute your spare computer power.' };
  return {
    code: 'waiting',
    reason: 'Sharing is on. Waiting for work: this version cannot run tasks yet.',
  };
}

/** Composition root: builds the whole agent from its ports. The Electron app and headless mode both call this. */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const { clock, logger } = options.ports;
  const store = new SettingsStore(join(options.paths.configDir, 'settings.json'), clock);
  const loaded = await store.load();
  let settings = loaded.settings;
  let notices: Notice[] = loaded.notice ? [loaded.notice] : [];
  const activity: ActivityEntry[] = [];
  const events = new Emitter<AgentEvent>();
  const startedAt = clock.now();

  const state = (): AgentState => ({
    version: options.version,
    mode: options.mode,
    sharing: settings.sharing,
    status: statusFor(settings),
    startedAt,
    notices,
  });

  const log = (kind: ActivityEntry['kind'], message: string): void => {
    const entry: ActivityEntry = { at: clock.now(), kind, message };
    activity.push(entry);
    if (activity.length > ACTIVITY_LIMIT) activity.shift();
    events.emit({ type: 'activity', entry });
  };

  const publish = (): AgentState => {
    const current = state();
    events.emit({ type: 'state', state: current });
    return current;
  };

  if (loaded.notice) {
    logger.error(loaded.notice.message);
    log('notice', loaded.notice.message);
  }

  // Writes are serialised so two quick edits cannot interleave on disk.
  let writes: Promise<unknown> = Promise.resolve();
  const applySettings = (next: Settings): Promise<Result<Settings>> => {
    const run = writes.then(async (): Promise<Result<Settings>> => {
      try {
        await store.save(next);
      } catch (error) {
        const message = `Settings could not be saved to ${store.file}: ${(error as Error).message}. Nothing was changed.`;
        logger.error(message);
        return fail('STORAGE', message);
      }
      const before = settings;
      settings = next;
      if (before.sharing !== next.sharing) log('share', next.sharing ? 'Sharing turned on' : 'Sharing turned off');
      const changed = (Object.keys(next) as (keyof Settings)[]).filter(
        (key) => key !== 'sharing' && JSON.stringify(before[key]) !== JSON.stringify(next[key]),
      );
      if (changed.length > 0) log('settings', `Settings changed: ${changed.join(', ')}`);
      if (statusFor(before).reason !== statusFor(next).reason) log('status', statusFor(next).reason);
      publish();
      return ok(settings);
    });
    writes = run;
    return run;
  };

  const handlers: Handlers = {
    getState: async () => ok(state()),
    setShare: async ({ on }) => {
      const saved = await applySettings({ ...settings, sharing: on });
      return saved.ok ? ok(state()) : saved;
    },
    getSettings: async () => ok(settings),
    updateSettings: async (patch) => {
      // Checked again whole: a patch over IPC may carry explicit undefined, and later rules span fields.
      const merged = SettingsSchema.safeParse({ ...settings, ...patch });
      if (!merged.success) return fail('VALIDATION', 'Some settings are not valid; nothing was saved.', fieldErrors(merged.error));
      return applySettings(merged.data);
    },
    getActivity: async () => ok([...activity]),
    dismissNotice: async ({ id }) => {
      notices = notices.filter((notice) => notice.id !== id);
      return ok(publish());
    },
  };

  return {
    async call(request) {
      const parsed = RequestSchema.safeParse(request);
      if (!parsed.success) return fail('BAD_REQUEST', 'A request is an object { cmd, args }.');
      const { cmd, args } = parsed.data;
      if (!isCommandName(cmd)) return fail('UNKNOWN_COMMAND', `There is no command "${cmd}".`);
      const checked = commands[cmd].args.safeParse(args);
      if (!checked.success) {
        return fail('VALIDATION', `Some values for "${cmd}" are not valid; nothing was saved.`, fieldErrors(checked.error));
      }
      try {
        const handler = handlers[cmd] as (a: unknown) => Promise<Result<unknown>>;
        return await handler(checked.data);
      } catch (error) {
        logger.error(`${cmd} failed: ${(error as Error).stack ?? String(error)}`);
        return fail('INTERNAL', `The agent could not run "${cmd}": ${(error as Error).message}`);
      }
    },
    subscribe: (listener) => events.subscribe(listener),
    state,
    settings: () => settings,
  };
}
