import { errorText } from '../common/result.js';
import type { Settings } from '../common/settings.js';
import type { ChainSettings } from '../common/wallet.js';
import type { Connected } from './contribution-connect.js';
import { choosePayoutChain } from './network/payout-chain.js';
import type { Clock } from './ports.js';
import type { WalletController } from './wallet/controller.js';

export interface PayoutChainsOptions {
  dataDir: string;
  clock: Clock;
  settings(): Settings;
  wallet: WalletController;
  /** Whether a locked wallet's chain is still wanted: not closed, and not connected (connecting chooses it anew). */
  waiting(): boolean;
}

/** Which chain the wallet claims and reads balances on, for the network in use. */
export class PayoutChains {
  /** The network whose payout chain was set for a locked wallet. */
  private readFor: string | null = null;

  constructor(private readonly o: PayoutChainsOptions) {}

  /** Only signing needs the key: a locked wallet's claims and balances are read on the chain the network at `url` pays on. */
  async readLocked(url: string): Promise<void> {
    if (this.readFor === url) return;
    this.readFor = url;
    const choice = await choosePayoutChain({ dataDir: this.o.dataDir, url, configured: this.o.settings().chain, discovered: null });
    if (choice.ok) await this.read(url, choice.value);
  }

  /** Whether the chain setting changed since the connected network's chain was chosen with it. */
  changed(c: Connected): boolean {
    return !!c.url && c.chain !== undefined && c.chain !== JSON.stringify(this.o.settings().chain);
  }

  /** A network of its own pays on the chain set in Settings, or on the one its coordinator names (then pinned). */
  async claimOn(c: Connected): Promise<void> {
    const { wallet } = this.o;
    const url = c.service.client.url;
    c.chain = JSON.stringify(this.o.settings().chain);
    try {
      const { payout } = await c.service.client.pinned();
      const choice = await choosePayoutChain({ dataDir: this.o.dataDir, url, configured: this.o.settings().chain, discovered: payout });
      if (choice.ok) await wallet.setChain(choice.value);
      else await wallet.setChain(undefined, choice.error.message);
    } catch (error) {
      await wallet.setChain(undefined, `Could not learn the payout chain from ${url}: ${errorText(error)}`);
    }
  }

  /** A chain that did not answer (a busy machine) is asked again in a while, until the wallet is unlocked or another network is set. */
  private async read(url: string, chain: ChainSettings): Promise<void> {
    const { wallet } = this.o;
    if (!this.o.waiting() || this.readFor !== url || wallet.view().wallet.state !== 'locked') return;
    await wallet.setChain(chain);
    if (wallet.view().chain.status === 'error') this.o.clock.after(30_000, () => void this.read(url, chain));
  }
}
