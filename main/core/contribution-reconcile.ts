import { join } from 'node:path';
import { ZodError } from 'zod';
import type { HardwareSnapshot } from '../common/hardware.js';
import type { Decision } from '../common/policy.js';
import { errorDetail, errorText, fail, ok, type Failure, type Result } from '../common/result.js';
import { SerialQueue } from '../common/serial.js';
import { sameAddress } from '../common/wallet.js';
import { PayoutChains } from './contribution-chain.js';
import { connectNetwork, onceRegistered, type ConnectParts, type Connected } from './contribution-connect.js';
import { DevnetKeeper } from './devnet-keeper.js';
import type { EarningsAccess } from './network/earnings-access.js';
import type { Member } from './network/member.js';
import { effectiveShare } from './policy/share.js';
import type { WalletController } from './wallet/controller.js';

const unavailable = (message: string): Failure<'UNAVAILABLE'> => ({ code: 'UNAVAILABLE', message });
/** What the page says while the embedded devnet sleeps, on the dashboard and the wallet's balance. */
const RESTING = 'Sharing is off, so the local test network is resting. It starts again when you turn sharing on or claim.';
const CHAIN_RESTING = 'The local test network runs only while it is needed: balances show once you share or claim.';

/** Work in hand the embedded devnet must see through: tasks, results to send, leases, results not yet in an epoch. */
function inHand(c: Connected, earnings: Pick<EarningsAccess, 'earned'>): boolean {
  const status = c.service.status();
  return (
    c.scheduler.snapshot().tasks.length > 0 || status.queued > 0 || status.activeLeases > 0 || (earnings.earned()?.pendingTasks ?? 0) > 0
  );
}

export interface ReconcilerOptions extends ConnectParts {
  wallet: WalletController;
  /** This machine as a member of a fleet: when it holds an owner's delegation it earns to that owner, wallet or not. */
  member: Pick<Member, 'signer'>;
  hardware(): HardwareSnapshot | null;
  /** Start the embedded devnet when no coordinator URL is set. */
  embeddedDevnet: boolean;
  /** How long the embedded devnet stays up once nothing needs it. */
  devnetIdleMs: number;
}

/**
 * Keeps what runs in step with what is set: the embedded devnet or the network at the configured URL, joined once a
 * wallet (or an owner's delegation) and the hardware allow it, and what blocks it said in plain words meanwhile.
 */
export class Reconciler {
  connected: Connected | null = null;
  /** What keeps this machine from joining now, in plain words; null once joined. */
  blocker: Failure<'UNAVAILABLE'> | null = unavailable('Starting…');
  /** The policy's last answer, enforced on the scheduler of each network joined. */
  decision: Decision | null = null;
  private readonly devnet: DevnetKeeper;
  /** The embedded devnet sleeps, and the wallet was told why. */
  private asleep = false;
  /** It sleeps for want of use (not for want of a wallet): sharing wakes it. */
  private resting = false;
  /** Requests under way that need it (`whileNeeded`). */
  private using = 0;
  private closed = false;
  private readonly turns = new SerialQueue();
  private readonly chains: PayoutChains;

  constructor(private readonly o: ReconcilerOptions) {
    this.chains = new PayoutChains({ ...o, waiting: () => !this.closed && !this.connected });
    const dir = join(o.dataDir, 'devnet');
    this.devnet = new DevnetKeeper({ dir, clock: o.clock, logger: o.logger, idleMs: o.devnetIdleMs, onIdle: () => void this.refresh() });
    // Once at start: the wallet reads its balances and claims, kept on show while the devnet rests afterwards.
    this.devnet.needed();
  }

  /** A request that needs the embedded devnet (a claim): it starts if it rests, and stays up until a while after. */
  async whileNeeded<T>(work: () => Promise<T>): Promise<T> {
    this.using++;
    try {
      await this.wake();
      return await work();
    } finally {
      this.using--;
      this.devnet.needed();
    }
  }

  private async wake(): Promise<void> {
    if (this.o.settings().network.coordinatorUrl !== null) return;
    this.devnet.needed();
    this.resting = false;
    await this.refresh();
  }

  /** Starts whatever has become possible (wallet created, hardware detected) or restarts on a new coordinator URL. */
  refresh(): Promise<void> {
    const reconciled = this.turns
      .run(() => this.reconcile())
      .catch((error: unknown) => {
        // A schema's own text (a ZodError dump) says nothing to a user; the details are in the log line below.
        const why = error instanceof ZodError ? 'a file or a reply could not be read; the details are in the log' : errorText(error);
        this.blocker = unavailable(`Could not join the network: ${why}`);
        this.o.logger.error(`contribution: ${errorDetail(error)}`);
      });
    return reconciled.then(this.o.onChange);
  }

  apply(next: Decision): void {
    this.decision = next;
    // Sharing needs the embedded devnet (the policy applies its answer every few seconds while it is on).
    if (this.o.settings().sharing && this.o.settings().network.coordinatorUrl === null) {
      this.devnet.needed();
      if (this.resting) void this.wake();
    }
    const { connected } = this;
    if (!connected) return;
    connected.scheduler.apply(next);
    const device = next.devices.find((d) => d.deviceId === connected.registered);
    this.o.measure.decided(this.o.clock.now(), device, effectiveShare(this.o.settings(), connected.registered));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.devnet.close();
    await this.turns.idle();
    await this.stopAll();
  }

  private async reconcile(): Promise<void> {
    const { o } = this;
    // A wallet or hardware event during shutdown must not start a new devnet that nobody stops.
    if (this.closed) return;
    const url = o.settings().network.coordinatorUrl;
    if (this.connected && this.connected.url !== url) await this.stopAll();
    // A member earns to the owner whose delegation it holds, with no wallet of its own; a new delegation, a new start.
    const delegated = await o.member.signer();
    const delegation = delegated?.delegation?.signature ?? null;
    if (this.connected && this.connected.delegation !== delegation) await this.stopAll();
    // Earnings go to the wallet in use: once it is removed or replaced, no more work is done for the address before.
    if (this.connected && delegation === null && !this.earnsFor(this.connected.owner)) await this.disconnect(true);
    if (url === null && !o.embeddedDevnet) {
      this.blocker = unavailable('No network is set, and the local devnet is turned off.');
      return;
    }
    const joinable = this.joinable(delegated !== null);
    if (url === null && !(await this.keepDevnet(joinable.ok))) {
      this.blocker = joinable.ok ? unavailable(RESTING) : joinable.error;
      return;
    }
    const coordinatorUrl = await this.coordinatorFor(url);
    o.earnings.locate(coordinatorUrl);
    if (this.connected && this.chains.changed(this.connected)) void this.chains.claimOn(this.connected);
    if (this.connected) return;
    if (!joinable.ok) {
      this.blocker = joinable.error;
      if (url !== null && o.wallet.view().wallet.state === 'locked') await this.chains.readLocked(url);
      return;
    }
    const snapshot = joinable.value;
    const signer = delegated ?? o.wallet.service.signer();
    const connected = await connectNetwork(o, { url, coordinatorUrl, snapshot, signer, delegation });
    this.connected = connected;
    this.blocker = null;
    // Once registered: the payout chain of a network of its own, and on any network what is claimable already
    // (earned before a restart, say).
    onceRegistered(connected.service, () => {
      // Registered now: the network in use is the one pinned.
      o.earnings.locate(connected.service.client.url, true);
      void (url === null ? o.wallet.refresh() : this.chains.claimOn(connected));
    });
    o.earnings.recount();
    if (this.decision) this.apply(this.decision);
  }

  /** The hardware to join with, or what keeps this machine from joining: no wallet (nor a delegation), a locked one. */
  private joinable(delegated: boolean): Result<HardwareSnapshot, 'UNAVAILABLE'> {
    const { state } = this.o.wallet.view().wallet;
    if (!delegated && state !== 'ready') {
      return fail('UNAVAILABLE', state === 'none' ? 'Create or import a wallet to start earning.' : 'Unlock your wallet to start earning.');
    }
    const snapshot = this.o.hardware();
    return snapshot ? ok(snapshot) : fail('UNAVAILABLE', 'Detecting your hardware…');
  }

  /**
   * Whether the embedded devnet runs now: while this machine can join and shares, has work in hand, or was asked
   * something that needs it a short while ago (a locked wallet too: its balances and claims are read then). Otherwise
   * it rests (once the work in hand is seen through), and the earnings come from the ledger, under the address it had.
   */
  private async keepDevnet(joinable: boolean): Promise<boolean> {
    const c = this.connected;
    if (this.using > 0 || (c && inHand(c, this.o.earnings))) this.devnet.needed();
    if (joinable && this.o.settings().sharing) return true;
    if ((joinable || this.o.wallet.view().wallet.state !== 'none') && this.devnet.wanted()) return true;
    if (!this.asleep) {
      this.asleep = true;
      if (this.devnet.running) this.o.logger.info('devnet: resting until something needs it');
      await this.leave();
      this.o.wallet.rest(CHAIN_RESTING);
    }
    this.resting = joinable;
    const last = await this.devnet.lastAddress();
    if (last) this.o.earnings.locate(last.url);
    return false;
  }

  /** Where the coordinator answers: the network set, or the embedded devnet (started when none is set). */
  private async coordinatorFor(url: string | null): Promise<string> {
    if (url !== null) {
      this.asleep = false;
      if (this.devnet.running) await this.stopAll();
      return url;
    }
    const running = this.devnet.running ?? (await this.startDevnet());
    return running.url;
  }

  /** The embedded devnet (coordinator + local chain) in its own process; the wallet claims on its chain. */
  private async startDevnet(): Promise<{ url: string }> {
    const started = await this.devnet.start();
    this.asleep = false;
    this.devnet.needed();
    await this.o.wallet.setChain(started.chain);
    this.o.logger.info(`devnet: coordinator ${started.url}, chain ${started.chain.rpcUrl} (test tokens)`);
    return started;
  }

  /** Whether the wallet in use is `owner`'s. */
  private earnsFor(owner: string): boolean {
    const { wallet } = this.o.wallet.view();
    return wallet.state !== 'none' && sameAddress(wallet.address, owner);
  }

  /** Leaves the network in use; with `sendFinished`, what was finished is sent first, to the address it was done for. */
  private async disconnect(sendFinished = false): Promise<void> {
    const c = this.connected;
    this.connected = null;
    await c?.scheduler.close();
    if (sendFinished)
      await c?.service.client
        .flush()
        .catch((error: unknown) => this.o.logger.warn(`network: finished work not sent yet: ${errorText(error)}`));
    await c?.service.close();
  }

  /** Leaves the network in use, and the embedded devnet stops. */
  private async leave(): Promise<void> {
    await this.disconnect();
    await this.devnet.stop();
  }

  private async stopAll(): Promise<void> {
    const running = this.devnet.running;
    await this.leave();
    // Its chain went with it.
    if (running) await this.o.wallet.setChain(undefined);
  }
}
