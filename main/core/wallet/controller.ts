import type { ChainSettings, ClaimRecord, Voucher, WalletView } from '../../common/wallet.js';
import type { Clock, Logger } from '../ports.js';
import { connectChain, type Balances, type ChainClient } from './chain.js';
import { WalletError } from './errors.js';
import type { WalletService } from './service.js';

export interface WalletControllerOptions {
  service: WalletService;
  clock: Clock;
  logger: Logger;
  /** The coordinator's current voucher for the owner's unpaid receipts (the network client), if any. */
  voucher?: (owner: string) => Promise<Voucher | undefined>;
  /** Called whenever the view changed (balances, claim status…): publish it in the agent state. */
  onChange?: (view: WalletView) => void;
  /** Per RPC request. */
  timeoutMs?: number;
}

/** Block times have one-second steps: the block number orders claims of the same second; unmined ones are newest. */
const newestFirst = (a: ClaimRecord, b: ClaimRecord): number =>
  b.at - a.at || (b.blockNumber ?? Number.MAX_SAFE_INTEGER) - (a.blockNumber ?? Number.MAX_SAFE_INTEGER);

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The wallet as the UI sees it: the key service plus one chain connection, balances, claimable amount and claims. */
export class WalletController {
  private chain: ChainClient | undefined;
  private chainStatus: WalletView['chain'] = { status: 'unconfigured', message: 'No chain is configured.' };
  private balances: Balances | undefined;
  private claimable = 0n;
  private history: ClaimRecord[] = [];
  /** Claims sent from this run that the chain's history does not show (pending, failed). */
  private local: ClaimRecord[] = [];

  constructor(private readonly options: WalletControllerOptions) {}

  get service(): WalletService {
    return this.options.service;
  }

  /** Connects to the chain these settings name (undefined: none) and refreshes. A bad setting shows as chain error. */
  async setChain(settings: ChainSettings | undefined): Promise<WalletView> {
    this.chain?.close();
    this.chain = undefined;
    this.chainStatus = { status: 'unconfigured', message: 'No chain is configured.' };
    if (settings) {
      const label = settings.label !== undefined ? { label: settings.label } : {};
      try {
        const timeout = this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {};
        this.chain = await connectChain(settings, { clock: this.options.clock, ...timeout });
        this.chainStatus = { status: 'ok', chainId: settings.chainId, ...label };
      } catch (error) {
        this.chainStatus = { status: 'error', chainId: settings.chainId, ...label, message: describe(error) };
        this.options.logger.warn(`wallet: chain: ${describe(error)}`);
      }
    }
    return this.refresh();
  }

  /** Re-reads balances, claimable amount and claim history for the wallet's address. */
  async refresh(): Promise<WalletView> {
    const info = this.service.info();
    const chain = this.chain;
    if (info.state === 'none' || !chain) {
      this.balances = undefined;
      this.claimable = 0n;
      this.history = [];
    } else {
      try {
        const voucher = await this.options.voucher?.(info.address);
        [this.balances, this.claimable, this.history] = await Promise.all([
          chain.balances(info.address),
          chain.claimable(voucher, info.address),
          chain.history(info.address),
        ]);
        this.chainStatus = { ...this.chainStatus, status: 'ok' };
        delete this.chainStatus.message;
      } catch (error) {
        this.chainStatus = { ...this.chainStatus, status: 'error', message: `Cannot read the chain: ${describe(error)}` };
      }
    }
    return this.publish();
  }

  /** Claims the coordinator's current voucher; the view shows the transaction as pending, then its outcome. */
  async claim(): Promise<ClaimRecord> {
    const info = this.service.info();
    if (info.state === 'none') throw new WalletError('NO_WALLET', 'There is no wallet yet: create or import one.');
    if (!this.chain) throw new WalletError('CHAIN_UNREACHABLE', this.chainStatus.message ?? 'No chain is connected.');
    const voucher = await this.options.voucher?.(info.address);
    if (!voucher || (await this.chain.claimable(voucher, info.address)) === 0n) {
      throw new WalletError('NOT_APPLICABLE', 'There is nothing to claim yet.');
    }
    const record = await this.service.claim(this.chain, voucher, (pending) => {
      this.local.push(pending);
      this.publish();
    });
    this.local = this.local.filter((r) => r.txHash !== record.txHash);
    if (record.status !== 'confirmed') this.local.push(record);
    this.options.logger.info(`wallet: claim ${record.txHash} ${record.status}`);
    await this.refresh();
    return record;
  }

  view(): WalletView {
    const known = new Set(this.history.map((r) => r.txHash));
    const claims = [...this.history, ...this.local.filter((r) => !known.has(r.txHash))].sort(newestFirst);
    return {
      wallet: this.service.info(),
      chain: this.chainStatus,
      ...(this.balances ? { balances: { synor: this.balances.synor.toString(), native: this.balances.native.toString() } } : {}),
      claimable: this.claimable.toString(),
      claims,
    };
  }

  close(): void {
    this.chain?.close();
    this.chain = undefined;
  }

  private publish(): WalletView {
    const view = this.view();
    this.options.onChange?.(view);
    return view;
  }
}
