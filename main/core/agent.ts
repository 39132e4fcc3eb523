import { join } from 'node:path';
import { errorText, type Result } from '../common/result.js';
import type { Settings } from '../common/settings.js';
import type { ActivityEntry, AgentEvent, AgentState, Notice, Tell } from '../common/state.js';
import { ActivityLog } from './activity.js';
import { AgentNews } from './agent-news.js';
import { buildWallet, openWallet } from './agent-wallet.js';
import { commandCaller } from './agent-commands.js';
import { createContribution, type Contribution } from './contribution.js';
import type { Emitter } from './events.js';
import { openAgentFleet } from './fleet/agent-fleet.js';
import type { Fleet } from './fleet/fleet.js';
import { GpuTelemetry } from './hardware/gpu-telemetry.js';
import { createHardwareService, type HardwareService } from './hardware/service.js';
import { DeviceHistoryRecorder } from './monitor/device-history.js';
import { Monitor } from './monitor/monitor.js';
import { createMember } from './network/member.js';
import type { AppPaths } from './paths.js';
import { summarize } from './policy/decide.js';
import { PolicyLoop } from './policy-loop.js';
import type { Ports } from './ports.js';
import { describeSettingsChange } from './settings/describe.js';
import { SettingsKeeper } from './settings/settings-keeper.js';
import { SettingsStore } from './settings/store.js';
import type { WalletController } from './wallet/controller.js';

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

type Log = (kind: ActivityEntry['kind'], message: string) => void;

/** The settings, kept and applied, and the activity log: what the agent opens first. */
async function openRecords(
  options: AgentOptions,
  events: Emitter<AgentEvent>,
  changed: (before: Settings, next: Settings) => Promise<void>,
) {
  const { clock, logger } = options.ports;
  const store = new SettingsStore(join(options.paths.configDir, 'settings.json'), clock);
  const loaded = await store.load();
  const activity = await ActivityLog.open(join(options.paths.dataDir, 'activity.jsonl'), {
    clock,
    logger,
    added: (entry) => events.emit({ type: 'activity', entry }),
  });
  const log: Log = (kind, message) => activity.add(kind, message);
  const keeper = new SettingsKeeper(store, loaded.settings, { logger, changed });
  if (loaded.notice) {
    logger.error(loaded.notice.message);
    log('notice', loaded.notice.message);
  }
  return { notice: loaded.notice, activity, log, keeper };
}

/** What a change of settings sets off, in order, before the change is answered. */
interface SettingsFollowers {
  log: Log;
  gpus: GpuTelemetry;
  fleet: Fleet;
  contribution: Contribution;
  policy: PolicyLoop;
}

async function followSettings(before: Settings, next: Settings, f: SettingsFollowers): Promise<void> {
  if (before.sharing !== next.sharing) f.log('share', next.sharing ? 'Sharing turned on' : 'Sharing turned off');
  const changes = describeSettingsChange(before, next);
  if (changes.length > 0) f.log('settings', changes.join('; '));
  f.gpus.follow(next.sharing);
  // The LAN door opens and shuts with its setting before the change is answered (follow tells a refusal, never throws).
  if (JSON.stringify(before.fleet) !== JSON.stringify(next.fleet)) await f.fleet.follow(next.fleet);
  if (JSON.stringify(before.network) !== JSON.stringify(next.network) || JSON.stringify(before.chain) !== JSON.stringify(next.chain)) {
    void f.contribution.refresh();
  }
  // New settings take effect at once, not at the next tick.
  await f.policy.tick();
  if (before.sharing !== next.sharing) f.policy.start();
}

/** The agent's state from its parts; tasks last a second or two, so work in hand on a device that may run is "Working". */
function stateOf(
  options: AgentOptions,
  parts: {
    startedAt: number;
    settings: Settings;
    settingsRevision: number;
    policy: PolicyLoop;
    hardware: HardwareService;
    contribution: Contribution;
    wallet: WalletController;
  },
  notices: readonly Notice[],
): AgentState {
  const { policy } = parts;
  const work = parts.contribution.work();
  return {
    version: options.version,
    mode: options.mode,
    sharing: parts.settings.sharing,
    settingsRevision: parts.settingsRevision,
    status: policy.decision ? summarize(policy.decision, work.tasks.length > 0) : { code: 'off', reason: 'Starting…' },
    startedAt: parts.startedAt,
    notices: [...notices],
    decision: policy.decision ?? null,
    signals: policy.signals,
    idleSource: options.ports.idle.name,
    hardware: parts.hardware.snapshot(),
    work,
    wallet: parts.wallet.view(),
  };
}

/** The machine watched (signals, each device's last hour) and the policy's loop that decides on it. */
function watchAndDecide(p: {
  ports: Ports;
  settings(): Settings;
  gpus: GpuTelemetry;
  contribution: Contribution;
  log: Log;
  publish(): void;
}): { history: DeviceHistoryRecorder; policy: PolicyLoop } {
  const { ports, contribution } = p;
  const history = new DeviceHistoryRecorder();
  const monitor = new Monitor(
    ports,
    () => p.gpus.signals(),
    () => contribution.lanes(),
    (signals, lanes) => history.record(signals, lanes),
  );
  const policy = new PolicyLoop({
    ports,
    monitor,
    settings: p.settings,
    busy: () => contribution.busy(),
    apply: (decision) => contribution.apply(decision),
    decided(reason) {
      if (reason) p.log('policy', reason);
      p.publish();
    },
  });
  return { history, policy };
}

/** Composition root: builds the whole agent from its ports. The Electron app and headless mode both call this. */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const { ports, paths } = options;
  const { clock, logger } = ports;
  const { dataDir } = paths;
  const startedAt = clock.now();
  const news = new AgentNews({
    clock,
    settings: () => settings(),
    read: (notices) =>
      stateOf(
        options,
        { startedAt, settings: settings(), settingsRevision: keeper.revision, policy, hardware, contribution, wallet },
        notices,
      ),
    log: (kind, message) => log(kind, message),
    published: (running) => policy.followInput(running),
  });
  const publish = (): AgentState => news.publish();
  const followers = (): SettingsFollowers => ({ log, gpus, fleet, contribution, policy });
  const records = await openRecords(options, news.events, (before, next) => followSettings(before, next, followers()));
  const { activity, log, keeper } = records;
  if (records.notice) news.notice(records.notice);
  const settings = (): Settings => keeper.settings;
  const autoBenchmark = options.autoBenchmark ?? true;
  const hardware = createHardwareService({ probe: ports.hardware, clock, logger, cacheDir: dataDir, autoBenchmark });
  const gpus = new GpuTelemetry(hardware);
  const say = (item: Tell, logged = false): void => news.say(item, logged);
  const { service: walletService, wallet } = buildWallet({
    ports,
    dataDir,
    settings,
    contribution: () => contribution,
    log,
    say,
    onChange: publish,
  });
  // A member of a fleet earns to the owner's wallet under its delegation, with a device key of its own.
  const member = createMember({ dir: join(dataDir, 'network'), secrets: ports.secrets, clock });
  const contribution = createContribution({
    dataDir,
    clock,
    logger,
    settings,
    hardware: () => hardware.snapshot(),
    utcOffsetMinutes: () => -new Date(clock.now()).getTimezoneOffset(),
    wallet,
    member,
    embeddedDevnet: options.embeddedDevnet ?? true,
    onChange: publish,
    onNotice: (message) => log('notice', message),
  });
  const { history, policy } = watchAndDecide({ ports, settings, gpus, contribution, log, publish });
  const state = (): AgentState => news.state();
  const version = options.version;
  const fleetLog = (message: string): void => log('notice', message);
  const alertLimits = () => settings().fleetAlerts;
  const fleet = await openAgentFleet({ dataDir, version, clock, logger, state, contribution, keeper, log: fleetLog, alertLimits, say });
  await fleet.follow(settings().fleet);
  const dismissNotice = (id: string): AgentState => news.dismiss(id);
  const parts = { state, keeper, activity, hardware, contribution, wallet, member, fleet, history, clock, logger, dismissNotice };
  const call = commandCaller(parts);

  const unsubscribeHardware = hardware.subscribe(() => {
    gpus.follow(settings().sharing);
    publish();
    void contribution.refresh();
  });
  news.notice(...(await openWallet(walletService, logger)));
  void contribution.refresh();
  // Detection must not delay start-up (the URL or window comes first); the snapshot arrives as an event.
  void hardware.refresh().catch((error: unknown) => logger.error(`hardware detection failed: ${errorText(error)}`));
  gpus.follow(settings().sharing);
  await policy.tick();
  policy.start();

  return {
    call,
    subscribe: (listener) => news.events.subscribe(listener),
    onTell: (listener) => news.tells.subscribe(listener),
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
