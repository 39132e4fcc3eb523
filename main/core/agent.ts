import { join } from 'node:path';
import { errorText, type Result } from '../common/result.js';
import type { Settings } from '../common/settings.js';
import { type ActivityEntry, type AgentEvent, type AgentState, type Notice, type Tell } from '../common/state.js';
import { ActivityLog } from './activity.js';
import { networkNews, tellFiled, type NetworkMemory } from './activity-news.js';
import { commandCaller } from './agent-commands.js';
import { createContribution } from './contribution.js';
import { Emitter } from './events.js';
import { openAgentFleet } from './fleet/agent-fleet.js';
import { GpuTelemetry } from './hardware/gpu-telemetry.js';
import { createHardwareService } from './hardware/service.js';
import { DeviceHistoryRecorder } from './monitor/device-history.js';
import { Monitor } from './monitor/monitor.js';
import { createMember } from './network/member.js';
import { freshMemory, tell } from './notices/tell.js';
import type { AppPaths } from './paths.js';
import { summarize } from './policy/decide.js';
import { PolicyLoop } from './policy-loop.js';
import type { Logger, Ports } from './ports.js';
import { describeSettingsChange } from './settings/describe.js';
import { SettingsKeeper } from './settings/settings-keeper.js';
import { SettingsStore } from './settings/store.js';
import { AutoClaim } from './wallet/auto-claim.js';
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
 * Opens the wallet file. One that cannot be read, or was damaged and set aside, is a notice, not a crash: the app
 * runs and says what to do.
 */
async function openWallet(service: WalletService, logger: Logger): Promise<Notice[]> {
  const notices: Notice[] = [];
  await service.open().catch((error: unknown) => {
    const message = `Your wallet could not be opened: ${errorText(error)}. The file was left as it is.`;
    notices.push({ id: 'wallet-unusable', level: 'error', code: 'WALLET_UNUSABLE', message });
    logger.error(message);
  });
  if (service.notice) {
    notices.push({ id: 'wallet-repaired', level: 'warning', code: 'WALLET_FILE_SET_ASIDE', message: service.notice });
    logger.warn(`wallet: ${service.notice}`);
  }
  return notices;
}

/** Composition root: builds the whole agent from its ports. The Electron app and headless mode both call this. */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const { ports } = options;
  const { clock, logger } = ports;
  const store = new SettingsStore(join(options.paths.configDir, 'settings.json'), clock);
  const loaded = await store.load();
  let notices: Notice[] = loaded.notice ? [loaded.notice] : [];
  const events = new Emitter<AgentEvent>();
  const activity = await ActivityLog.open(join(options.paths.dataDir, 'activity.jsonl'), {
    clock,
    logger,
    added: (entry) => events.emit({ type: 'activity', entry }),
  });
  const log = (kind: ActivityEntry['kind'], message: string): void => activity.add(kind, message);
  const keeper = new SettingsKeeper(store, loaded.settings, {
    logger,
    async changed(before, next) {
      if (before.sharing !== next.sharing) log('share', next.sharing ? 'Sharing turned on' : 'Sharing turned off');
      const changes = describeSettingsChange(before, next);
      if (changes.length > 0) log('settings', changes.join('; '));
      gpus.follow(next.sharing);
      // The LAN door opens and shuts with its setting before the change is answered (follow tells a refusal, never throws).
      if (JSON.stringify(before.fleet) !== JSON.stringify(next.fleet)) await fleet.follow(next.fleet);
      if (JSON.stringify(before.network) !== JSON.stringify(next.network) || JSON.stringify(before.chain) !== JSON.stringify(next.chain)) {
        void contribution.refresh();
      }
      // New settings take effect at once, not at the next tick.
      await policy.tick();
      if (before.sharing !== next.sharing) policy.start();
    },
  });
  const settings = (): Settings => keeper.settings;
  const startedAt = clock.now();
  const hardware = createHardwareService({
    probe: ports.hardware,
    clock,
    logger,
    cacheDir: options.paths.dataDir,
    autoBenchmark: options.autoBenchmark ?? true,
  });
  const gpus = new GpuTelemetry(hardware);
  const walletService = new WalletService({
    dir: join(options.paths.dataDir, 'wallet'),
    secrets: ports.secrets,
    saveBackup: ports.saveBackup,
    onNotice: (message) => log('notice', message),
    onProgress: (progress) => wallet.keyWork(progress),
    logger,
    now: () => ports.clock.now(),
  });
  const wallet = new WalletController({
    service: walletService,
    clock,
    logger,
    payouts: {
      voucher: async () => (await contribution.voucher()) ?? undefined,
      context: () => contribution.claimContext(),
      deviceId: () => contribution.deviceId(),
    },
    onChange: () => publish(),
    onActivity: log,
    onRefresh: (view) => autoClaim.consider(view),
  });
  const autoClaim = new AutoClaim({
    wallet,
    settings: () => settings().autoClaim,
    voucher: async () => (await contribution.voucher()) ?? undefined,
    clock,
    logger,
    say(item, logged) {
      if (!logged) log(tellFiled(item.kind), item.body);
      if (settings().notifications.includes(item.kind)) tells.emit(item);
    },
  });
  const utcOffsetMinutes = (): number => -new Date(clock.now()).getTimezoneOffset();
  // A member of a fleet earns to the owner's wallet under its delegation, with a device key of its own.
  const member = createMember({ dir: join(options.paths.dataDir, 'network'), secrets: ports.secrets, clock });
  const contribution = createContribution({
    dataDir: options.paths.dataDir,
    clock,
    logger,
    settings,
    hardware: () => hardware.snapshot(),
    utcOffsetMinutes,
    wallet,
    member,
    embeddedDevnet: options.embeddedDevnet ?? true,
    onChange: () => publish(),
    onNotice: (message) => log('notice', message),
  });
  const history = new DeviceHistoryRecorder();
  const monitor = new Monitor(
    ports,
    () => gpus.signals(),
    () => contribution.lanes(),
    (signals, lanes) => history.record(signals, lanes),
  );
  const policy = new PolicyLoop({
    ports,
    monitor,
    settings,
    busy: () => contribution.busy(),
    apply: (decision) => contribution.apply(decision),
    decided(reason) {
      if (reason) log('policy', reason);
      publish();
    },
  });

  const state = (): AgentState => {
    const work = contribution.work();
    return {
      version: options.version,
      mode: options.mode,
      sharing: settings().sharing,
      // Tasks last a second or two: work in hand on a device that may run is "Working" (a tick seldom lands mid-run).
      status: policy.decision ? summarize(policy.decision, work.tasks.length > 0) : { code: 'off', reason: 'Starting…' },
      startedAt,
      notices,
      decision: policy.decision ?? null,
      signals: policy.signals,
      idleSource: ports.idle.name,
      hardware: hardware.snapshot(),
      work,
      wallet: wallet.view(),
    };
  };

  let told = freshMemory();
  let wasOffline: NetworkMemory = null;
  const tells = new Emitter<Tell>();
  const publish = (): AgentState => {
    const current = state();
    policy.followInput(current.work.tasks.some((task) => task.state === 'running'));
    const news = tell(current, told, clock.now(), (kind) => settings().notifications.includes(kind));
    told = news.memory;
    events.emit({ type: 'state', state: current });
    // The activity log keeps them (headless mode shows them there); the desktop app also shows each as a notification.
    const network = networkNews(current, wasOffline);
    wasOffline = network.memory;
    if (network.said) log('network', network.said);
    for (const item of news.tells) {
      log(tellFiled(item.kind), item.body);
      tells.emit(item);
    }
    return current;
  };

  if (loaded.notice) {
    logger.error(loaded.notice.message);
    log('notice', loaded.notice.message);
  }

  const fleet = await openAgentFleet({
    dataDir: options.paths.dataDir,
    version: options.version,
    clock,
    logger,
    state,
    contribution,
    keeper,
    log: (message) => log('notice', message),
    alertLimits: () => settings().fleetAlerts,
    say(item) {
      log(tellFiled(item.kind), item.body);
      if (settings().notifications.includes(item.kind)) tells.emit(item);
    },
  });
  await fleet.follow(settings().fleet);

  const call = commandCaller({
    state,
    keeper,
    activity,
    hardware,
    contribution,
    wallet,
    member,
    fleet,
    history,
    clock,
    logger,
    dismissNotice(id) {
      notices = notices.filter((notice) => notice.id !== id);
      return publish();
    },
  });

  const unsubscribeHardware = hardware.subscribe(() => {
    gpus.follow(settings().sharing);
    publish();
    void contribution.refresh();
  });
  notices = [...notices, ...(await openWallet(walletService, logger))];
  void contribution.refresh();
  // Detection must not delay start-up (the URL or window comes first); the snapshot arrives as an event.
  void hardware.refresh().catch((error: unknown) => logger.error(`hardware detection failed: ${errorText(error)}`));
  gpus.follow(settings().sharing);
  await policy.tick();
  policy.start();

  return {
    call,
    subscribe: (listener) => events.subscribe(listener),
    onTell: (listener) => tells.subscribe(listener),
    state,
    settings,
    tick: () => policy.tick(),
    async close() {
      await fleet.close();
      await contribution.close();
      await policy.close();
      unsubscribeHardware();
      gpus.stop();
      await keeper.settled();
      await activity.close();
    },
  };
}
