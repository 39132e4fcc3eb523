import { join } from 'node:path';
import type { z } from 'zod';
import { commands, isCommandName, RequestSchema, type CommandName, type CommandResult } from '../common/contract.js';
import type { Telemetry } from '../common/hardware.js';
import type { Decision, Signals } from '../common/policy.js';
import { errorText, fail, fieldErrors, ok, type Result } from '../common/result.js';
import { PRESETS, SettingsSchema, type Settings } from '../common/settings.js';
import { type ActivityEntry, type AgentEvent, type AgentState, type Notice, type Tell } from '../common/state.js';
import { ActivityLog } from './activity.js';
import { createContribution } from './contribution.js';
import { Emitter } from './events.js';
import { createHardwareService } from './hardware/service.js';
import { Monitor } from './monitor/monitor.js';
import { freshMemory, tell } from './notices/tell.js';
import type { AppPaths } from './paths.js';
import { decide, summarize } from './policy/decide.js';
import type { Ports } from './ports.js';
import { describeSettingsChange } from './settings/describe.js';
import { SettingsStore } from './settings/store.js';
import { walletHandlers } from './wallet/commands.js';
import { WalletController } from './wallet/controller.js';
import { WalletService } from './wallet/service.js';

export interface AgentOptions {
  ports: Ports;
  paths: AppPaths;
  mode: AgentState['mode'];
  version: string;
  /** Measure the CPU on first start on new hardware (off in unit tests, which must not spend seconds on it). */
  autoBenchmark?: boolean;
  /** Run the local devnet (coordinator + chain) when no network is set; off in unit tests. */
  embeddedDevnet?: boolean;
}

export interface Agent {
  /** Parses an untrusted `{ cmd, args }` and runs it. Never throws. */
  call(request: unknown): Promise<Result<unknown>>;
  subscribe(listener: (event: AgentEvent) => void): () => void;
  /** News worth a desktop notification; each is also in the activity log, which is what headless mode shows. */
  onTell(listener: (item: Tell) => void): () => void;
  state(): AgentState;
  settings(): Settings;
  /** Samples the system and decides again now (also runs on its own timer). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How often to sample and decide: every second while tasks run (user input must stop them fast), every
 * 2.5 s while sharing without work, every 5 s when off (live charts only). Keeps the idle agent ≤0.1 % of a core.
 */
const TICK_MS = { working: 1000, sharing: 2500, off: 5000 };

type Handlers = {
  [C in CommandName]: (args: z.output<(typeof commands)[C]['args']>) => Promise<Result<CommandResult<C>>>;
};

/** What makes a decision different for the activity log: who runs and the first blocking reason, not the numbers in it. */
const decisionKey = (decision: Decision | undefined): string =>
  JSON.stringify(decision?.devices.map((d) => [d.deviceId, d.run, d.reasons.find((r) => r.blocking)?.code]));

/** Runs `after` once each wallet command finished: a new, unlocked or removed wallet changes who can earn. */
function walletAndThen<H extends Record<string, (args: never) => Promise<unknown>>>(handlers: H, after: () => void): H {
  return Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [
      name,
      async (args: never) => {
        const result = await handler(args);
        after();
        return result;
      },
    ]),
  ) as H;
}

/** Composition root: builds the whole agent from its ports. The Electron app and headless mode both call this. */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const { ports } = options;
  const { clock, logger } = ports;
  const store = new SettingsStore(join(options.paths.configDir, 'settings.json'), clock);
  const loaded = await store.load();
  let settings = loaded.settings;
  let notices: Notice[] = loaded.notice ? [loaded.notice] : [];
  const events = new Emitter<AgentEvent>();
  const activity = await ActivityLog.open(join(options.paths.dataDir, 'activity.jsonl'), {
    clock,
    logger,
    added: (entry) => events.emit({ type: 'activity', entry }),
  });
  const log = (kind: ActivityEntry['kind'], message: string): void => activity.add(kind, message);
  const startedAt = clock.now();
  const hardware = createHardwareService({
    probe: ports.hardware,
    clock,
    logger,
    cacheDir: options.paths.dataDir,
    autoBenchmark: options.autoBenchmark ?? true,
  });
  let telemetry: Telemetry | null = null;
  let stopTelemetry: (() => void) | null = null;
  /** GPU temperatures feed the thermal policy, so GPUs are sampled while sharing (and only then, and only if any). */
  const followTelemetry = (): void => {
    const gpus = hardware.snapshot()?.devices.some((device) => device.type.kind !== 'Cpu') ?? false;
    const wanted = settings.sharing && gpus;
    if (wanted && !stopTelemetry) stopTelemetry = hardware.subscribeTelemetry((t) => (telemetry = t));
    if (!wanted && stopTelemetry) {
      stopTelemetry();
      stopTelemetry = telemetry = null;
    }
  };
  const gpuSignals = (): Signals['gpus'] =>
    (hardware.snapshot()?.devices ?? [])
      .filter((device) => device.type.kind !== 'Cpu')
      .map((device) => {
        const live = telemetry?.gpus.find((g) => g.id === device.id);
        return {
          id: device.id,
          name: device.name,
          tempC: live?.temperatureC ?? null,
          utilizationPercent: live?.utilizationPercent ?? null,
          ourUtilizationPercent: null, // the monitor measures it
          vramTotalMiB: device.capabilities.memoryGb * 1024,
        };
      });
  const walletService = new WalletService({
    dir: join(options.paths.dataDir, 'wallet'),
    secrets: ports.secrets,
    logger,
    now: () => ports.clock.now(),
  });
  const wallet = new WalletController({
    service: walletService,
    clock,
    logger,
    payouts: { voucher: async () => (await contribution.voucher()) ?? undefined, context: () => contribution.claimContext() },
    onChange: () => publish(),
  });
  const utcOffsetMinutes = (): number => -new Date(clock.now()).getTimezoneOffset();
  const contribution = createContribution({
    dataDir: options.paths.dataDir,
    clock,
    logger,
    settings: () => settings,
    hardware: () => hardware.snapshot(),
    utcOffsetMinutes,
    wallet,
    embeddedDevnet: options.embeddedDevnet ?? true,
    onChange: () => publish(),
    onNotice: (message) => log('notice', message),
  });
  const monitor = new Monitor(ports, gpuSignals, () => contribution.lanes());
  let signals: Signals | null = null;
  let decision: Decision | undefined;

  /**
   * The user's input between ticks gives the machine back at once: decided again on the last sample with no idle
   * time and applied like every tick's decision (settle), so the job hosts stop in the same event-loop turn. Watched
   * only while tasks run under "only when I am away"; resuming stays with the tick, once the idle rule holds again.
   */
  let stopWatching: (() => void) | null = null;
  const onInput = (): void => {
    monitor.noteInput();
    if (signals && decision?.devices.some((device) => device.run)) settle({ ...signals, at: clock.now(), idleSeconds: 0 });
  };
  const watchInput = (working: boolean): void => {
    const wanted = working && settings.sharing && settings.idleOnly.enabled;
    if (wanted && !stopWatching) stopWatching = ports.input.watch(onInput);
    if (!wanted && stopWatching) {
      stopWatching();
      stopWatching = null;
    }
  };

  const state = (): AgentState => {
    const work = contribution.work();
    return {
      version: options.version,
      mode: options.mode,
      sharing: settings.sharing,
      // Tasks last a second or two: work in hand on a device that may run is "Working" (a tick seldom lands mid-run).
      status: decision ? summarize(decision, work.tasks.length > 0) : { code: 'off', reason: 'Starting…' },
      startedAt,
      notices,
      decision: decision ?? null,
      signals,
      idleSource: ports.idle.name,
      hardware: hardware.snapshot(),
      work,
      wallet: wallet.view(),
    };
  };

  let told = freshMemory();
  const tells = new Emitter<Tell>();
  const publish = (): AgentState => {
    const current = state();
    watchInput(current.work.tasks.some((task) => task.state === 'running'));
    const news = tell(current, told, clock.now(), (kind) => settings.notifications.includes(kind));
    told = news.memory;
    events.emit({ type: 'state', state: current });
    // The activity log keeps them (headless mode shows them there); the desktop app also shows each as a notification.
    for (const item of news.tells) {
      log('notice', item.body);
      tells.emit(item);
    }
    return current;
  };

  if (loaded.notice) {
    logger.error(loaded.notice.message);
    log('notice', loaded.notice.message);
  }

  /** Sample, decide, and say so when the answer changes. Ticks run one after another, each with fresh settings. */
  let ticks: Promise<void> = Promise.resolve();
  const evaluate = async (): Promise<void> => settle(await monitor.sample(settings));
  function settle(sample: Signals): void {
    signals = sample;
    const next = decide(signals, settings, clock.now(), decision);
    const changed = decisionKey(next) !== decisionKey(decision);
    decision = next;
    contribution.apply(next);
    if (changed) log('policy', summarize(next, false).reason);
    publish();
  }
  const tick = (): Promise<void> =>
    (ticks = ticks
      .then(evaluate)
      .catch((error: unknown) => logger.error(`policy tick failed: ${(error as Error).stack ?? String(error)}`)));
  let cancelTimer = (): void => undefined;
  let closed = false;
  const loop = (): void => {
    const period = !settings.sharing ? TICK_MS.off : contribution.busy() ? TICK_MS.working : TICK_MS.sharing;
    cancelTimer = clock.after(period, () => void tick().then(() => !closed && loop()));
  };
  const unsubscribeSession = ports.session.subscribe(() => void tick());

  // Writes are serialised so two quick edits cannot interleave on disk.
  let writes: Promise<unknown> = Promise.resolve();
  const applySettings = (next: Settings): Promise<Result<Settings>> => {
    const run = writes.then(async (): Promise<Result<Settings>> => {
      try {
        await store.save(next);
      } catch (error) {
        const message = `Settings could not be saved to ${store.file}: ${errorText(error)}. Nothing was changed.`;
        logger.error(message);
        return fail('STORAGE', message);
      }
      const before = settings;
      settings = next;
      if (before.sharing !== next.sharing) log('share', next.sharing ? 'Sharing turned on' : 'Sharing turned off');
      const changes = describeSettingsChange(before, next);
      if (changes.length > 0) log('settings', changes.join('; '));
      followTelemetry();
      if (JSON.stringify(before.network) !== JSON.stringify(next.network) || JSON.stringify(before.chain) !== JSON.stringify(next.chain)) {
        void contribution.refresh();
      }
      // New settings take effect at once, not at the next tick.
      await tick();
      if (before.sharing !== next.sharing) {
        cancelTimer();
        loop();
      }
      return ok(settings);
    });
    writes = run;
    return run;
  };

  /** Checked again whole: a patch over IPC may carry explicit undefined, and later rules span fields. */
  const patchSettings = (patch: object): Promise<Result<Settings>> => {
    const merged = SettingsSchema.safeParse({ ...settings, ...patch });
    if (!merged.success) {
      return Promise.resolve(fail('VALIDATION', 'Some settings are not valid; nothing was saved.', fieldErrors(merged.error)));
    }
    return applySettings(merged.data);
  };

  const handlers: Handlers = {
    getState: async () => ok(state()),
    setShare: async ({ on }) => {
      const saved = await patchSettings({ sharing: on });
      return saved.ok ? ok(state()) : saved;
    },
    getSettings: async () => ok(settings),
    updateSettings: patchSettings,
    applyPreset: ({ name }) => patchSettings(PRESETS[name]),
    getActivity: async () => ok(activity.newest()),
    getHardware: async () => ok(hardware.snapshot()),
    runBenchmark: async () => {
      hardware.benchmark().catch(() => undefined); // the outcome arrives in the snapshot
      return ok(hardware.snapshot());
    },
    submitWebGpuReport: ({ report }) => hardware.acceptWebGpuReport(report),
    getEarnings: async (q) => {
      const summary = contribution.earnings(q);
      return summary ? ok(summary) : fail('UNAVAILABLE', contribution.work().blocker ?? 'Not connected to a network yet.');
    },
    exportEarningsCsv: async (q) => {
      const csv = await contribution.csv(q);
      if (csv === null) return fail('UNAVAILABLE', contribution.work().blocker ?? 'Not connected to a network yet.');
      return ok({ fileName: `synor-earnings-${new Date(clock.now()).toISOString().slice(0, 10)}.csv`, csv });
    },
    getReceipts: async ({ limit }) => {
      const receipts = contribution.receipts(limit);
      return receipts ? ok(receipts) : fail('UNAVAILABLE', contribution.work().blocker ?? 'Not connected to a network yet.');
    },
    getEstimates: async ({ days }) => {
      const estimates = contribution.estimates(days);
      return estimates ? ok(estimates) : fail('UNAVAILABLE', contribution.work().blocker ?? 'Not connected to a network yet.');
    },
    ...walletAndThen(walletHandlers(wallet, logger), () => void contribution.refresh()),
    dismissNotice: async ({ id }) => {
      notices = notices.filter((notice) => notice.id !== id);
      return ok(publish());
    },
  };

  const unsubscribeHardware = hardware.subscribe(() => {
    followTelemetry();
    publish();
    void contribution.refresh();
  });
  // A wallet file that cannot be read is a notice, not a crash: the app runs and says what to do.
  await walletService.open().catch((error: unknown) => {
    const message = `Your wallet could not be opened: ${errorText(error)}. The file was left as it is.`;
    notices = [...notices, { id: 'wallet-unusable', level: 'error', code: 'WALLET_UNUSABLE', message }];
    logger.error(message);
  });
  // A damaged wallet file was set aside at open: say so, and what to do.
  if (walletService.notice) {
    notices = [...notices, { id: 'wallet-repaired', level: 'warning', code: 'WALLET_FILE_SET_ASIDE', message: walletService.notice }];
    logger.warn(`wallet: ${walletService.notice}`);
  }
  void contribution.refresh();
  // Detection must not delay start-up (the URL or window comes first); the snapshot arrives as an event.
  void hardware.refresh().catch((error: unknown) => logger.error(`hardware detection failed: ${errorText(error)}`));
  followTelemetry();
  await tick();
  loop();

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
        return fail('INTERNAL', `The agent could not run "${cmd}": ${errorText(error)}`);
      }
    },
    subscribe: (listener) => events.subscribe(listener),
    onTell: (listener) => tells.subscribe(listener),
    state,
    settings: () => settings,
    tick,
    async close() {
      closed = true;
      await contribution.close();
      cancelTimer();
      unsubscribeSession();
      watchInput(false);
      unsubscribeHardware();
      stopTelemetry?.();
      await writes;
      await ticks;
      await activity.close();
    },
  };
}
