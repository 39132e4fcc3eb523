/**
 * Automatic claims (off by default): once what is claimable reaches the user's threshold and the wallet can pay the
 * fee, the agent claims by itself, at most once an hour, and says so. Driven by the wallet controller's refresh.
 */
import { Contract } from 'ethers';
import { formatAmount } from '../../common/money.js';
import { PAYOUT_ABI } from '../../common/payout-abi.js';
import { errorText } from '../../common/result.js';
import type { Settings } from '../../common/settings.js';
import type { Tell } from '../../common/state.js';
import type { ClaimRecord, Voucher, WalletView } from '../../common/wallet.js';
import type { Clock, Logger } from '../ports.js';
import type { ChainClient } from './chain.js';

/** At most one automatic claim (or its retry after a failure) per hour: each claim costs a fee. */
export const AUTO_CLAIM_INTERVAL_MS = 60 * 60_000;

/** What the automatic claim needs of the wallet controller. */
export interface ClaimingWallet {
  /** The chain connection in use, if any: the fee is estimated on it. */
  readonly connection: ChainClient | undefined;
  /** `automatic`: its activity log line says the automatic claim made it. */
  claim(automatic: boolean): Promise<ClaimRecord>;
}

export interface AutoClaimOptions {
  wallet: ClaimingWallet;
  settings: () => Settings['autoClaim'];
  /** The coordinator's current voucher for this device (the one the controller claims). */
  voucher: () => Promise<Voucher | undefined>;
  clock: Clock;
  logger: Logger;
  /**
   * Says it: a notification for the kinds the user chose, and the activity log unless `logged` (the controller's own
   * line for a claim it sent already says it there).
   */
  say: (item: Tell, logged: boolean) => void;
}

/** What the automatic claim remembers between refreshes. */
export interface AutoClaimMemory {
  busy: boolean;
  lastTryAt: number | null;
  lockedTold: boolean;
}

export type AutoClaimStep = 'wait' | 'say-locked' | 'claim';

/** Pure: what to do after a refresh showing `view`. */
export function nextStep(view: WalletView, settings: Settings['autoClaim'], memory: AutoClaimMemory, now: number): AutoClaimStep {
  const claimable = BigInt(view.claimable);
  if (!settings.enabled || memory.busy || claimable === 0n || claimable < BigInt(settings.thresholdWei)) return 'wait';
  if (view.wallet.state === 'locked') return memory.lockedTold ? 'wait' : 'say-locked';
  if (view.wallet.state !== 'ready') return 'wait';
  return memory.lastTryAt !== null && now - memory.lastTryAt < AUTO_CLAIM_INTERVAL_MS ? 'wait' : 'claim';
}

/** The fee the claim would cost at most, in the chain's own coin (wei): its gas at the highest price it may pay. */
async function claimFee(chain: ChainClient, voucher: Voucher): Promise<bigint> {
  const payout = new Contract(chain.settings.payoutAddress, PAYOUT_ABI, chain.provider);
  const args = [voucher.owner, voucher.amount, voucher.ranges, voucher.expiry, voucher.signature];
  const [gas, fees] = await Promise.all([
    payout.getFunction('claim').estimateGas(...args, { from: voucher.owner }),
    chain.provider.getFeeData(),
  ]);
  return gas * (fees.maxFeePerGas ?? fees.gasPrice ?? 0n);
}

const RETRY = 'It is tried again in an hour; you can also claim on the Wallet page.';
const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`);

/** One voucher's receipts: a voucher for the same receipts is the same claim. */
const rangesKey = (ranges: Voucher['ranges']): string => ranges.map((r) => `${r.deviceId}:${r.firstSeq}-${r.lastSeq}`).join(',');

export class AutoClaim {
  private readonly memory: AutoClaimMemory = { busy: false, lastTryAt: null, lockedTold: false };
  /** Receipts an automatic claim already sent (pending or confirmed): never claimed twice. */
  private readonly sent = new Set<string>();
  /** Failure and fee sentences said since the last success: each is told once, not at every retry. */
  private readonly told = new Set<string>();

  constructor(private readonly options: AutoClaimOptions) {}

  /** Called after each wallet refresh. */
  consider(view: WalletView): void {
    if (view.wallet.state !== 'locked') this.memory.lockedTold = false;
    const step = nextStep(view, this.options.settings(), this.memory, this.options.clock.now());
    if (step === 'say-locked') {
      this.memory.lockedTold = true;
      this.options.say(
        {
          kind: 'claim',
          key: 'auto-claim-locked',
          title: 'Automatic claim waiting',
          body: `${formatAmount(BigInt(view.claimable))} SYNOR is ready to claim, but your wallet is locked. Automatic claims wait until you unlock it on the Wallet page.`,
        },
        false,
      );
    }
    if (step !== 'claim') return;
    this.memory.busy = true;
    void this.attempt(view).finally(() => (this.memory.busy = false));
  }

  private async attempt(view: WalletView): Promise<void> {
    const amount = formatAmount(BigInt(view.claimable));
    try {
      const chain = this.options.wallet.connection;
      const voucher = await this.options.voucher();
      if (!chain || !voucher || this.sent.has(rangesKey(voucher.ranges))) return;
      // The hour counts from a claim tried (or refused by the chain); a fee it cannot pay yet is looked at again at
      // every refresh, so coins sent for it are used at once.
      const previous = this.memory.lastTryAt;
      this.memory.lastTryAt = this.options.clock.now();
      const fee = await claimFee(chain, voucher);
      if (BigInt(view.balances?.native ?? '0') < fee) {
        this.memory.lastTryAt = previous;
        return this.once(
          'Automatic claim waiting',
          `${amount} SYNOR is ready to claim, but your wallet cannot pay the fee (about ${formatAmount(fee)} of this chain's own coin). ` +
            'Send your address a little of that coin (not SYNOR); the claim is then made by itself.',
        );
      }
      const record = await this.options.wallet.claim(true);
      const claimed = formatAmount(BigInt(record.amount));
      if (record.status === 'failed') {
        const why = sentence(record.error ?? 'the chain refused it');
        return this.once('Automatic claim failed', `An automatic claim of ${claimed} SYNOR failed: ${why} ${RETRY}`, true);
      }
      this.sent.add(rangesKey(record.ranges));
      this.told.clear();
      this.options.logger.info(`wallet: automatic claim ${record.txHash}`);
      this.options.say(
        {
          kind: 'claim',
          key: `auto-claim:${record.txHash}`,
          title: 'Earnings claimed',
          body: `Claimed ${claimed} SYNOR to your wallet automatically (transaction ${record.txHash}).`,
        },
        true,
      );
    } catch (error) {
      this.options.logger.warn(`wallet: automatic claim: ${errorText(error)}`);
      this.once(
        'Automatic claim failed',
        `An automatic claim of ${amount} SYNOR did not go through: ${sentence(errorText(error))} ${RETRY}`,
      );
    }
  }

  /** Says a failure or a wait once until a claim goes through; `logged` as for `say`. */
  private once(title: string, body: string, logged = false): void {
    if (this.told.has(title)) return;
    this.told.add(title);
    this.options.say({ kind: 'claim', key: `auto-claim:${title}`, title, body }, logged);
  }
}
