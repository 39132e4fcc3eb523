/**
 * The earning pipeline: coordinator (the embedded devnet with its local chain, or the network at the configured
 * URL) → network client → scheduler → job hosts, with the wallet signing the registration and claiming vouchers.
 * It starts what it can and says what is missing (no wallet yet, hardware still being detected).
 */
import { join } from 'node:path';
import { ZodError } from 'zod';
import { errorText } from '../common/result.js';
import { SerialQueue } from '../common/serial.js';
import type { HardwareSnapshot } from '../common/hardware.js';
import type { EarningsQuery, EarningsSummary, Estimates } from '../common/network.js';
import type { Decision } from '../common/policy.js';
import type { Receipt } from '../common/protocol.js';
import type { Settings } from '../common/settings.js';
import type { Work } from '../common/state.js';
import type { ChainSettings, Voucher } from '../common/wallet.js';
import { startDevnetProcess, type DevnetProcess } from './devnet-process.js';
import { scheduledHoursPerDay, typicalPowerWatts } from './economics/estimator.js';
import { EarningsMeter } from './economics/meter.js';
import { deviceInfo } from './network/device-info.js';
import { ownerOf, type NetworkClient } from './network/client-types.js';
import { memberEpochs } from './network/member-epochs.js';
import type { Member } from './network/member.js';
import { choosePayoutChain } from './network/payout-chain.js';
import { linkScheduler } from './network/scheduler-link.js';
import { startNetworkService, type NetworkService } from './network/service.js';
import { createEarningsAccess } from './network/earnings-access.js';
import { effectiveShare } from './policy/share.js';
import type { Clock, Logger } from './ports.js';
import { supportedBackends } from './runtime/providers.js';
import { createRuntime } from './runtime/runtime.js';
import { LinkMeter } from './network/link-meter.js';
import { deviceLanes } from './scheduler/lanes.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import type { LaneView } from './scheduler/types.js';
import type { ClaimContext } from './wallet/claim-check.js';
import type { WalletController } from './wallet/controller.js';

export interface ContributionOptions {
  dataDir: string;
  clock: Clock;
  logger: Logger;
  settings(): Settings;
  hardware(): HardwareSnapshot | null;
  utcOffsetMinutes(): number;
  wallet: WalletController;
  /** This machine as a member of a fleet: when it holds an owner's delegation it earns to that owner, wallet or not. */
  member: Pick<Member, 'signer'>;
  /** Start the embedded devnet when no coordinator URL is set (off in unit tests: it runs a chain and a server). */
  embeddedDevnet: boolean;
  onChange(): void;
  /** Something the user should find in the Activity log: a result given back and why, results held in memory. */
  onNotice(message: string): void;
}

export interface Contribution {
  work(): Work;
  /** Whether a task is running now (the policy then ticks faster, to give the machine back fast). */
  busy(): boolean;
  /** The policy's answer, enforced on the job hosts. */
  apply(decision: Decision): void;
  /** The scheduler's lanes: their job hosts' CPU and their jobs' GPU time are ours, not the user's. */
  lanes(): readonly LaneView[];
  /** Starts whatever has become possible (wallet created, hardware detected) or restarts on a new coordinator URL. */
  refresh(): Promise<void>;
  /** Null while the earnings history is being checked (see `whyNoEarnings`); readable with a locked wallet. */
  earnings(query: EarningsQuery): EarningsSummary | null;
  /** Why `earnings`, `csv` and `receipts` give nothing, in plain words. */
  whyNoEarnings(): string;
  csv(query: EarningsQuery): Promise<string> | null;
  estimates(days: number): Estimates | null;
  /** The newest `limit` receipts from the ledger, newest first; null while the history is being checked. */
  receipts(limit: number): (Receipt & { devnet: boolean; coordinator: string })[] | null;
  /** The coordinator's voucher for this device's unpaid receipts; null when nothing is owed or not connected. */
  voucher(): Promise<Voucher | null>;
  /** What a voucher is checked against before a claim: this device's own verified receipts (synced first). */
  claimContext(): Promise<ClaimContext>;
  /** The network client while connected (the owner's delegation commands sign in its coordinator's time and chain). */
  client(): NetworkClient | null;
  /** The id the network knows this device by; null until registered. */
  deviceId(): string | null;
  close(): Promise<void>;
}

interface Connected {
  url: string | null;
  service: NetworkService;
  scheduler: Scheduler;
  /** The device registered with the network (lanes.ts). */
  registered: string;
  /** GPUs left out, and why. */
  notices: string[];
  /** The chain setting the wallet's chain was last chosen with (JSON), for a network of its own. */
  chain?: string;
  /** Whose earnings: the wallet's address, or the owner of the delegation in use (`delegation`, its signature). */
  owner: string;
  delegation: string | null;
}

export function createContribution(o: ContributionOptions): Contribution {
  const { clock, logger, wallet } = o;
  // One measure of this machine's link, from its downloads and its exchanges with the coordinator.
  const meter = new LinkMeter();
  // What the estimate measures: the time this device shared (each decision of the policy) and what its epochs paid.
  const measure = new EarningsMeter();
  const runtime = createRuntime({
    meter,
    cacheDir: join(o.dataDir, 'models'),
    cacheCapBytes: () => o.settings().diskBudgetGiB * 1024 ** 3,
    // The memory the policy lets tasks use: inputs sent by URL wait in this process within it.
    memoryBudgetBytes: () => Math.max(0, ...(decision?.devices.map((device) => device.limits.memoryBudgetBytes) ?? [])),
    clock,
    logger,
    // Downloads for a coordinator that is not on this machine reach only the public internet.
    coordinatorUrl: () => connected?.service.client.url ?? null,
  });
  let devnet: DevnetProcess | null = null;
  let connected: Connected | null = null;
  let decision: Decision | null = null;
  let blocker: string | null = 'Starting…';
  const reconciles = new SerialQueue();
  const query = (q: EarningsQuery) => ({ ...q, utcOffsetMinutes: o.utcOffsetMinutes() });
  // The earnings history is read without the wallet: a locked one holds up signing, not the user's own figures.
  const earnings = createEarningsAccess({
    dataDir: o.dataDir,
    detailDays: () => o.settings().receiptDetailDays,
    clock,
    logger,
    wallet: () => wallet.view(),
    onChange: () => o.onChange(),
    onNotice: (message) => o.onNotice(message),
  });
  const recount = (): void => earnings.recount();

  /** The embedded devnet (coordinator + local chain) in its own process; the wallet claims on its chain. */
  async function startDevnet(): Promise<DevnetProcess> {
    const started = await startDevnetProcess(join(o.dataDir, 'devnet'), logger);
    await wallet.setChain(started.chain);
    logger.info(`devnet: coordinator ${started.url}, chain ${started.chain.rpcUrl} (test tokens)`);
    return started;
  }

  async function stopAll(): Promise<void> {
    const c = connected;
    const d = devnet;
    connected = null;
    devnet = null;
    await c?.scheduler.close();
    await c?.service.close();
    await d?.stop();
    // Its chain went with it.
    if (d) await wallet.setChain(undefined);
  }

  let closed = false;
  /** The network whose payout chain was set for a locked wallet. */
  let readChainFor: string | null = null;
  /**
   * Connects a locked wallet to the chain of the network at `url`, for reading; a chain that did not answer (a busy
   * machine) is asked again in a while, until the wallet is unlocked or another network is set.
   */
  async function readChain(url: string, chain: ChainSettings): Promise<void> {
    if (closed || connected || readChainFor !== url || wallet.view().wallet.state !== 'locked') return;
    await wallet.setChain(chain);
    if (wallet.view().chain.status === 'error') clock.after(30_000, () => void readChain(url, chain));
  }

  async function reconcile(): Promise<void> {
    // A wallet or hardware event during shutdown must not start a new devnet that nobody stops.
    if (closed) return;
    const url = o.settings().network.coordinatorUrl;
    if (connected && connected.url !== url) await stopAll();
    // A member earns to the owner whose delegation it holds, with no wallet of its own; a new delegation, a new start.
    const delegated = await o.member.signer();
    if (connected && connected.delegation !== (delegated?.delegation?.signature ?? null)) await stopAll();
    if (url === null && !o.embeddedDevnet) {
      blocker = 'No network is set, and the local devnet is turned off.';
      return;
    }
    if (url === null) devnet ??= await startDevnet();
    else if (devnet) await stopAll();
    earnings.locate(url ?? devnet!.url);
    if (connected?.url && connected.chain !== undefined && connected.chain !== JSON.stringify(o.settings().chain)) void claimOn(connected);
    if (connected) return;
    const snapshot = o.hardware();
    const view = wallet.view();
    if (!delegated && view.wallet.state !== 'ready') {
      blocker = view.wallet.state === 'none' ? 'Create or import a wallet to start earning.' : 'Unlock your wallet to start earning.';
      // Only signing needs the key: a locked wallet's claims and balances are read on the chain this network pays on.
      if (url !== null && view.wallet.state === 'locked' && readChainFor !== url) {
        readChainFor = url;
        const choice = await choosePayoutChain({ dataDir: o.dataDir, url, configured: o.settings().chain, discovered: null });
        if ('chain' in choice) await readChain(url, choice.chain);
      }
      return;
    }
    if (!snapshot) {
      blocker = 'Detecting your hardware…';
      return;
    }
    const { lanes, notices } = await deviceLanes(snapshot, process.platform, supportedBackends);
    const registered = lanes.find((lane) => lane.kind === 'gpu')?.id ?? 'cpu';
    const signer = delegated ?? wallet.service.signer();
    const service = await startNetworkService({
      dataDir: o.dataDir,
      url: url ?? devnet!.url,
      book: await earnings.book(),
      detailDays: () => o.settings().receiptDetailDays,
      signer,
      device: deviceInfo(snapshot, o.settings(), o.utcOffsetMinutes(), registered),
      meter,
      clock,
      logger,
    });
    const link = linkScheduler(service.client, logger);
    const scheduler = createScheduler({ runtime, devices: lanes, source: link.source, sink: link.sink, clock, logger });
    // A task whose lease the coordinator gave to someone else is not worth finishing.
    link.onGone((taskId) => scheduler.cancel(taskId));
    scheduler.onChange(o.onChange);
    service.subscribe((event) => {
      if (event.type === 'epoch' || event.type === 'submitted') recount();
      if (event.type === 'epoch' && event.epoch.deviceId === service.client.deviceId) measure.paid(event.epoch);
      if (event.type === 'problem') o.onNotice(event.message);
      // New receipts change what the wallet may claim.
      if (event.type === 'epoch') void wallet.refresh();
      o.onChange();
    });
    connected = {
      url,
      service,
      scheduler,
      registered,
      notices,
      owner: ownerOf(signer),
      delegation: delegated?.delegation?.signature ?? null,
    };
    blocker = null;
    // Once connected (the client's own first contact registers the device, and must not be raced): the payout chain
    // of a network of its own, and on any network what is claimable already (earned before a restart, say).
    const current = connected;
    let asked = false;
    const ask = (): void => {
      if (asked || !['connected', 'no-work'].includes(service.status().code)) return;
      asked = true;
      off();
      // Registered now: the network in use is the one pinned.
      earnings.locate(service.client.url, true);
      void (url === null ? wallet.refresh() : claimOn(current));
    };
    const off = service.subscribe(ask);
    ask();
    recount();
    if (decision) apply(decision);
  }

  /** A network of its own pays on the chain set in Settings, or on the one its coordinator names (then pinned). */
  async function claimOn(c: Connected): Promise<void> {
    const url = c.service.client.url;
    c.chain = JSON.stringify(o.settings().chain);
    try {
      const { payout } = await c.service.client.pinned();
      const choice = await choosePayoutChain({ dataDir: o.dataDir, url, configured: o.settings().chain, discovered: payout });
      if ('chain' in choice) await wallet.setChain(choice.chain);
      else await wallet.setChain(undefined, choice.problem);
    } catch (error) {
      await wallet.setChain(undefined, `Could not learn the payout chain from ${url}: ${errorText(error)}`);
    }
  }

  function apply(next: Decision): void {
    decision = next;
    connected?.scheduler.apply(next);
    if (connected)
      measure.decided(
        clock.now(),
        next.devices.find((d) => d.deviceId === connected?.registered),
        effectiveShare(o.settings(), connected.registered),
      );
  }

  return {
    work() {
      const snap = connected?.scheduler.snapshot();
      return {
        blocker,
        network: connected?.service.status() ?? null,
        tasks: snap?.tasks ?? [],
        notices: [...(connected?.notices ?? []), ...(snap?.lanes ?? []).flatMap((lane) => (lane.notice ? [lane.notice] : []))],
        earned: earnings.earned(),
        networks: earnings.networks(),
        ledgerCheck: earnings.checking(),
      };
    },
    busy: () => connected?.scheduler.snapshot().tasks.some((task) => task.state === 'running') ?? false,
    apply,
    lanes: () => connected?.scheduler.snapshot().lanes ?? [],
    refresh() {
      const reconciled = reconciles.run(reconcile).catch((error: unknown) => {
        // A schema's own text (a ZodError dump) says nothing to a user; the details are in the log line below.
        const why = error instanceof ZodError ? 'a file or a reply could not be read; the details are in the log' : errorText(error);
        blocker = `Could not join the network: ${why}`;
        logger.error(`contribution: ${(error as Error).stack ?? String(error)}`);
      });
      return reconciled.then(o.onChange);
    },
    earnings: (q) => earnings.earnings(query(q)),
    whyNoEarnings: () => earnings.why(),
    receipts: (limit) => earnings.receipts(limit),
    voucher: async () => (connected ? connected.service.client.voucher() : null),
    client: () => connected?.service.client ?? null,
    deviceId: () => connected?.service.client.deviceId ?? null,
    async claimContext() {
      if (!connected) throw new Error('not connected to a network');
      const { client, ledger } = connected.service;
      const { owner } = connected;
      // Receipts the coordinator signed since the last sync may be in the voucher.
      await client.syncReceipts().catch(() => 0);
      const { coordinator, chainId } = await client.pinned();
      const epochs: ClaimContext['epochs'][number][] = [];
      for await (const r of ledger.records()) {
        if (r.source.coordinator.toLowerCase() !== coordinator.toLowerCase() || r.signed.epoch.deviceId !== client.deviceId) continue;
        const { deviceId, firstSeq, lastSeq, totalWei } = r.signed.epoch;
        epochs.push({ deviceId, firstSeq, lastSeq, totalWei });
      }
      // Members earning to this wallet: their signed epochs come from the coordinator, checked as this device's own.
      const others = (id: string, after: number) => memberEpochs(client, { chainId, coordinator, owner }, id, after);
      return { deviceId: client.deviceId, coordinator, epochs, others };
    },
    csv: (q) => earnings.csv(query(q)),
    estimates(days) {
      const snapshot = o.hardware();
      if (!connected || !snapshot) return null;
      const settings = o.settings();
      const { registered } = connected;
      const info = deviceInfo(snapshot, settings, o.utcOffsetMinutes(), registered);
      return connected.service.estimates({
        device: info.deviceType,
        scheduledHoursPerDay: scheduledHoursPerDay(settings.schedule.enabled ? settings.schedule.week : null),
        sharePercent: effectiveShare(settings, registered) * 100,
        powerWatts: typicalPowerWatts(info.deviceType),
        settings: settings.network,
        days,
        meter: measure.window(),
      });
    },
    async close() {
      closed = true;
      await reconciles.idle();
      await stopAll();
      await earnings.close();
    },
  };
}
