/**
 * The earning pipeline: coordinator (the embedded devnet with its local chain, or the network at the configured
 * URL) → network client → scheduler → job hosts, with the wallet signing the registration and claiming vouchers.
 * It starts what it can and says what is missing (no wallet yet, hardware still being detected).
 */
import { join } from 'node:path';
import type { HardwareSnapshot } from '../common/hardware.js';
import type { EarningsQuery, EarningsSummary, Estimates } from '../common/network.js';
import type { Decision } from '../common/policy.js';
import type { Receipt } from '../common/protocol.js';
import type { Settings } from '../common/settings.js';
import type { Work } from '../common/state.js';
import type { Voucher } from '../common/wallet.js';
import { claimContext, estimates } from './contribution-queries.js';
import { Reconciler } from './contribution-reconcile.js';
import { devnetIdleMs } from './devnet-keeper.js';
import { EarningsMeter } from './economics/meter.js';
import type { NetworkClient } from './network/client-types.js';
import { createEarningsAccess, type EarningsAccess } from './network/earnings-access.js';
import { LinkMeter } from './network/link-meter.js';
import type { Member } from './network/member.js';
import type { Clock, Logger } from './ports.js';
import { createRuntime } from './runtime/runtime.js';
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
  /** Runs a request that needs the network (a claim), the embedded devnet started first if it rests and kept up meanwhile. */
  whileNeeded<T>(work: () => Promise<T>): Promise<T>;
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

/** The earning pipeline's parts, built once; which network they join is the reconciler's business. */
export function createContribution(o: ContributionOptions): Contribution {
  const { clock, logger } = o;
  // One measure of this machine's link, from its downloads and its exchanges with the coordinator.
  const meter = new LinkMeter();
  // What the estimate measures: the time this device shared (each decision of the policy) and what its epochs paid.
  const measure = new EarningsMeter();
  const runtime = createRuntime({
    meter,
    cacheDir: join(o.dataDir, 'models'),
    cacheCapBytes: () => o.settings().diskBudgetGiB * 1024 ** 3,
    // The memory the policy lets tasks use: inputs sent by URL wait in the job hosts within it.
    memoryBudgetBytes: () => Math.max(0, ...(run.decision?.devices.map((device) => device.limits.memoryBudgetBytes) ?? [])),
    clock,
    logger,
    // Downloads for a coordinator that is not on this machine reach only the public internet.
    coordinatorUrl: () => run.connected?.service.client.url ?? null,
  });
  // The earnings history is read without the wallet: a locked one holds up signing, not the user's own figures.
  const earnings = createEarningsAccess({
    dataDir: o.dataDir,
    detailDays: () => o.settings().receiptDetailDays,
    clock,
    logger,
    wallet: () => o.wallet.view(),
    onChange: () => o.onChange(),
    onNotice: (message) => o.onNotice(message),
  });
  const run = new Reconciler({ ...o, runtime, meter, measure, earnings, devnetIdleMs: devnetIdleMs(process.env) });
  return contributionView(o, run, { earnings, measure });
}

/** The contribution as the agent asks it: what runs, what it earned and what it may claim. */
function contributionView(
  o: ContributionOptions,
  run: Reconciler,
  { earnings, measure }: { earnings: EarningsAccess; measure: EarningsMeter },
): Contribution {
  const query = (q: EarningsQuery) => ({ ...q, utcOffsetMinutes: o.utcOffsetMinutes() });
  return {
    work() {
      const { connected } = run;
      const snap = connected?.scheduler.snapshot();
      return {
        blocker: run.blocker?.message ?? null,
        network: connected?.service.status() ?? null,
        tasks: snap?.tasks ?? [],
        notices: [...(connected?.notices ?? []), ...(snap?.lanes ?? []).flatMap((lane) => (lane.notice ? [lane.notice] : []))],
        earned: earnings.earned(),
        networks: earnings.networks(),
        ledgerCheck: earnings.checking(),
      };
    },
    busy: () => run.connected?.scheduler.snapshot().tasks.some((task) => task.state === 'running') ?? false,
    apply: (decision) => run.apply(decision),
    lanes: () => run.connected?.scheduler.snapshot().lanes ?? [],
    refresh: () => run.refresh(),
    whileNeeded: (work) => run.whileNeeded(work),
    earnings: (q) => earnings.earnings(query(q)),
    whyNoEarnings: () => earnings.why(),
    receipts: (limit) => earnings.receipts(limit),
    voucher: async () => (run.connected ? run.connected.service.client.voucher() : null),
    client: () => run.connected?.service.client ?? null,
    deviceId: () => run.connected?.service.client.deviceId ?? null,
    claimContext: () => claimContext(run.connected),
    csv: (q) => earnings.csv(query(q)),
    estimates(days) {
      const snapshot = o.hardware();
      if (!run.connected || !snapshot) return null;
      return estimates(run.connected, { snapshot, settings: o.settings(), utcOffsetMinutes: o.utcOffsetMinutes(), measure }, days);
    },
    async close() {
      await run.close();
      await earnings.close();
    },
  };
}
