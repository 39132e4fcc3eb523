import { join } from 'node:path';
import { ZodError } from 'zod';
import type { HardwareSnapshot } from '../common/hardware.js';
import type { Decision } from '../common/policy.js';
import { errorDetail, errorText, type Failure } from '../common/result.js';
import { SerialQueue } from '../common/serial.js';
import { PayoutChains } from './contribution-chain.js';
import { connectNetwork, onceRegistered, type ConnectParts, type Connected } from './contribution-connect.js';
import { startDevnetProcess, type DevnetProcess } from './devnet-process.js';
import type { Member } from './network/member.js';
import { effectiveShare } from './policy/share.js';
import type { WalletController } from './wallet/controller.js';

const unavailable = (message: string): Failure<'UNAVAILABLE'> => ({ code: 'UNAVAILABLE', message });

export interface ReconcilerOptions extends ConnectParts {
  wallet: WalletController;
  /** This machine as a member of a fleet: when it holds an owner's delegation it earns to that owner, wallet or not. */
  member: Pick<Member, 'signer'>;
  hardware(): HardwareSnapshot | null;
  /** Start the embedded devnet when no coordinator URL is set. */
  embeddedDevnet: boolean;
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
  private devnet: DevnetProcess | null = null;
  private closed = false;
  private readonly turns = new SerialQueue();
  private readonly chains: PayoutChains;

  constructor(private readonly o: ReconcilerOptions) {
    this.chains = new PayoutChains({ ...o, waiting: () => !this.closed && !this.connected });
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
    const { connected } = this;
    if (!connected) return;
    connected.scheduler.apply(next);
    const device = next.devices.find((d) => d.deviceId === connected.registered);
    this.o.measure.decided(this.o.clock.now(), device, effectiveShare(this.o.settings(), connected.registered));
  }

  async close(): Promise<void> {
    this.closed = true;
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
    if (url === null && !o.embeddedDevnet) {
      this.blocker = unavailable('No network is set, and the local devnet is turned off.');
      return;
    }
    const coordinatorUrl = await this.coordinatorFor(url);
    o.earnings.locate(coordinatorUrl);
    if (this.connected && this.chains.changed(this.connected)) void this.chains.claimOn(this.connected);
    if (this.connected) return;
    const snapshot = o.hardware();
    const view = o.wallet.view();
    if (!delegated && view.wallet.state !== 'ready') {
      this.blocker = unavailable(
        view.wallet.state === 'none' ? 'Create or import a wallet to start earning.' : 'Unlock your wallet to start earning.',
      );
      if (url !== null && view.wallet.state === 'locked') await this.chains.readLocked(url);
      return;
    }
    if (!snapshot) {
      this.blocker = unavailable('Detecting your hardware…');
      return;
    }
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

  /** Where the coordinator answers: the network set, or the embedded devnet (started when none is set). */
  private async coordinatorFor(url: string | null): Promise<string> {
    if (url !== null) {
      if (this.devnet) await this.stopAll();
      return url;
    }
    this.devnet ??= await this.startDevnet();
    return this.devnet.url;
  }

  /** The embedded devnet (coordinator + local chain) in its own process; the wallet claims on its chain. */
  private async startDevnet(): Promise<DevnetProcess> {
    const started = await startDevnetProcess(join(this.o.dataDir, 'devnet'), this.o.logger);
    await this.o.wallet.setChain(started.chain);
    this.o.logger.info(`devnet: coordinator ${started.url}, chain ${started.chain.rpcUrl} (test tokens)`);
    return started;
  }

  private async stopAll(): Promise<void> {
    const c = this.connected;
    const d = this.devnet;
    this.connected = null;
    this.devnet = null;
    await c?.scheduler.close();
    await c?.service.close();
    await d?.stop();
    // Its chain went with it.
    if (d) await this.o.wallet.setChain(undefined);
  }
}
