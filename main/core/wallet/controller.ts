import { hostname } from 'node:os';
import { formatAmount } from '../../common/money.js';
import { errorText } from '../../common/result.js';
import type { ChainSettings, ClaimRecord, KeyWorkProgress, Voucher, WalletView } from '../../common/wallet.js';
import type { Clock, Logger } from '../ports.js';
import { connectionWords } from '../../common/connection-words.js';
import { connectChain, type Balances, type ChainClient } from './chain.js';
import { checkVoucher, type ClaimContext } from './claim-check.js';
import { WalletError } from './errors.js';
import type { WalletService } from './service.js';

export interface WalletControllerOptions {
  service: WalletService;
  clock: Clock;
  logger: Logger;
  /** Where vouchers come from (the network client) and what this device knows to check them against. */
  payouts?: PayoutSource;
  /** Called whenever the view changed (balances, claim status…): publish it in the agent state. */
  onChange?: (view: WalletView) => void;
  /** Called after each refresh with its view (the automatic claim decides there). */
  onRefresh?: (view: WalletView) => void;
  /** Per RPC request. */
  timeoutMs?: number;
  /** What the wallet did, in words, for the activity log: `wallet` for its steps, `notice` for a failed claim. */
  onActivity?: (kind: 'wallet' | 'notice', message: string) => void;
}

export interface PayoutSource {
  /** The coordinator's current voucher for this device's unpaid receipts, if any. */
  voucher(): Promise<Voucher | undefined>;
  /** This device's own verified receipts and pinned coordinator, fresh (receipts synced first where possible). */
  context(): Promise<ClaimContext>;
  /** The id the network knows this device by, once registered. */
  deviceId?(): string | null;
}

/** Block times have one-second steps: the block number orders claims of the same second; unmined ones are newest. */
const newestFirst = (a: ClaimRecord, b: ClaimRecord): number =>
  b.at - a.at || (b.blockNumber ?? Number.MAX_SAFE_INTEGER) - (a.blockNumber ?? Number.MAX_SAFE_INTEGER);

/** The wallet as the UI sees it: the key service plus one chain connection, balances, claimable amount and claims. */
export class WalletController {
  private chain: ChainClient | undefined;
  private chainStatus: WalletView['chain'] = { status: 'unconfigured', message: 'No chain is configured.' };
  private balances: Balances | undefined;
  private claimable = 0n;
  private history: ClaimRecord[] = [];
  /** Claims sent from this run that the chain's history does not show (pending, failed). */
  private local: ClaimRecord[] = [];
  private keyWorking: KeyWorkProgress | undefined;
  /** The chain sleeps (the embedded devnet resting): what was read last stays shown until it is read again. */
  private resting = false;

  constructor(private readonly options: WalletControllerOptions) {}

  get service(): WalletService {
    return this.options.service;
  }

  get connection(): ChainClient | undefined {
    return this.chain;
  }

  /**
   * Connects to the chain these settings name and refreshes. A bad setting shows as chain error; none shows as
   * unconfigured, with `why` when there is a reason.
   */
  async setChain(settings: ChainSettings | undefined, why = 'No chain is configured.'): Promise<WalletView> {
    this.chain?.close();
    this.chain = undefined;
    this.resting = false;
    this.chainStatus = { status: 'unconfigured', message: why };
    if (settings) {
      const label = settings.label !== undefined ? { label: settings.label } : {};
      try {
        const timeout = this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {};
        this.chain = await connectChain(settings, { clock: this.options.clock, ...timeout });
        this.chainStatus = { status: 'ok', chainId: settings.chainId, ...label };
      } catch (error) {
        this.chainStatus = { status: 'error', chainId: settings.chainId, ...label, message: errorText(error) };
        this.options.logger.warn(`wallet: chain: ${errorText(error)}`);
      }
    }
    return this.refresh();
  }

  /** Lets the chain go while it sleeps, keeping the balances and claims read last, and says why in `why`. */
  rest(why: string): void {
    this.chain?.close();
    this.chain = undefined;
    this.resting = true;
    // The chain id stays: the claims kept are still that chain's (the ledger's unclaimed amount is counted with them).
    this.chainStatus = { ...this.chainStatus, status: 'unconfigured', message: why };
    this.publish();
  }

  /** Re-reads balances, claimable amount and claim history for the wallet's address. */
  async refresh(): Promise<WalletView> {
    const info = this.service.info();
    const chain = this.chain;
    if (info.state === 'none' || (!chain && !this.resting)) {
      this.balances = undefined;
      this.claimable = 0n;
      this.history = [];
    } else if (chain) {
      try {
        // A coordinator that cannot be reached just means nothing is claimable now; the chain can still be read.
        const voucher = await this.options.payouts?.voucher().catch(() => undefined);
        [this.balances, this.claimable, this.history] = await Promise.all([
          chain.balances(info.address),
          chain.claimable(voucher, info.address),
          chain.history(info.address),
        ]);
        this.chainStatus = { ...this.chainStatus, status: 'ok' };
        delete this.chainStatus.message;
      } catch (error) {
        const message = `Cannot read the chain: ${connectionWords(error)}.`;
        this.chainStatus = { ...this.chainStatus, status: 'error', message };
      }
    }
    const view = this.publish();
    this.options.onRefresh?.(view);
    return view;
  }

  /**
   * Claims the coordinator's current voucher; the view shows the transaction as pending, then its outcome. The activity
   * log says whether the user or the automatic claim (auto-claim.ts) made it.
   */
  async claim(automatic = false): Promise<ClaimRecord> {
    const info = this.service.info();
    if (info.state === 'none') throw new WalletError('NO_WALLET', 'There is no wallet yet: create or import one.');
    if (!this.chain) throw new WalletError('CHAIN_UNREACHABLE', this.chainStatus.message ?? 'No chain is connected.');
    const chain = this.chain;
    const payouts = this.options.payouts;
    const voucher = await payouts?.voucher().catch((error: unknown) => {
      throw new WalletError(
        'COORDINATOR_UNREACHABLE',
        `Could not get your voucher from the network: ${errorText(error)} Try again once connected.`,
      );
    });
    const claimable = await chain.claimable(voucher, info.address).catch((error: unknown) => {
      throw new WalletError('CHAIN_UNREACHABLE', `Cannot read the chain: ${errorText(error)}`);
    });
    if (!payouts || !voucher || claimable === 0n) throw new WalletError('NOT_APPLICABLE', 'There is nothing to claim yet.');
    const context = await payouts.context().catch((error: unknown) => {
      throw new WalletError('COORDINATOR_UNREACHABLE', `Could not read your receipts to check the voucher: ${errorText(error)}`);
    });
    await checkVoucher(chain, voucher, info.address, context).catch((error: unknown) => {
      if (error instanceof WalletError) throw error;
      throw new WalletError('CHAIN_UNREACHABLE', `Cannot check the voucher against the chain: ${errorText(error)}`);
    });
    const record = await this.service.claim(this.chain, voucher, (pending) => {
      this.local.push(pending);
      this.publish();
    });
    this.local = this.local.filter((r) => r.txHash !== record.txHash);
    if (record.status !== 'confirmed') this.local.push(record);
    this.options.logger.info(`wallet: claim ${record.txHash} ${record.status}`);
    const amount = `${formatAmount(BigInt(record.amount))} SYNOR`;
    if (record.status === 'failed') {
      this.options.onActivity?.(
        'notice',
        `${automatic ? 'An automatic' : 'A'} claim of ${amount} failed: ${record.error ?? 'the chain refused it'} Transaction ${record.txHash}.`,
      );
    } else {
      const how = automatic ? ' automatically' : '';
      this.options.onActivity?.('wallet', `Claimed ${amount} to your wallet${how}. Transaction ${record.txHash}.`);
    }
    await this.refresh();
    return record;
  }

  view(): WalletView {
    const known = new Set(this.history.map((r) => r.txHash));
    const claims = [...this.history, ...this.local.filter((r) => !known.has(r.txHash))].sort(newestFirst);
    const confirmations = this.service.confirmations();
    const deviceId = this.options.payouts?.deviceId?.();
    return {
      wallet: this.service.info(),
      chain: this.chainStatus,
      ...(this.balances ? { balances: { synor: this.balances.synor.toString(), native: this.balances.native.toString() } } : {}),
      claimable: this.claimable.toString(),
      claims,
      ...(confirmations.length > 0 ? { confirmations } : {}),
      ...(this.keyWorking ? { keyWork: this.keyWorking } : {}),
      ...(deviceId ? { thisDevice: { id: deviceId, name: hostname() } } : {}),
    };
  }

  /** Says in the activity log what a wallet step did (commands.ts words each one). */
  told(message: string): void {
    this.options.onActivity?.('wallet', message);
  }

  /** scrypt's progress (seconds of it in unlock, export, import…): published in 5 % steps; `undefined` once done. */
  keyWork(progress: KeyWorkProgress | undefined): void {
    const step = (p: KeyWorkProgress | undefined) => (p ? `${p.op}${Math.floor(p.fraction * 20)}` : '');
    if (step(progress) === step(this.keyWorking)) return;
    this.keyWorking = progress;
    this.publish();
  }

  close(): void {
    this.chain?.close();
    this.chain = undefined;
  }

  /** Sends the current view without asking the chain (e.g. a confirmation was asked for). */
  publish(): WalletView {
    const view = this.view();
    this.options.onChange?.(view);
    return view;
  }
}
