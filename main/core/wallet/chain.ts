import { Contract, EventLog, FetchRequest, Interface, JsonRpcProvider, Network, isError, type Signer } from 'ethers';
import { z } from 'zod';
import { errorText } from '../../common/result.js';
import type { ChainSettings, ClaimRecord, Voucher } from '../../common/wallet.js';
import type { Clock } from '../ports.js';
import { PAYOUT_ABI, TOKEN_ABI } from '../../common/payout-abi.js';
import { connectionWords } from '../../common/connection-words.js';
import { WalletError } from './errors.js';

const payoutInterface = new Interface(PAYOUT_ABI);

/** What the contracts answer, as PAYOUT_ABI and TOKEN_ABI declare it (ethers types every answer as any). */
const Paid = z.tuple([z.bigint(), z.bigint()]);
const Address = z.string();
const Wei = z.bigint();
const ClaimedArgs = z.tuple([z.string(), z.bigint(), z.array(z.tuple([z.string(), z.bigint(), z.bigint(), z.bigint()]))]);

/** What the payout contract paid for the owner's device so far (the devnet coordinator reads it too). */
export async function readPaid(payout: Contract, owner: string, deviceId: string): Promise<{ lastSeq: number; total: bigint }> {
  const [lastSeq, total] = Paid.parse(await payout.getFunction('paid')(owner, deviceId));
  return { lastSeq: Number(lastSeq), total };
}

/** A sentence for each error the payout contract can revert with (every one in PAYOUT_ABI: chain-contracts.test.ts). */
export const REVERT_MESSAGES: Record<string, string> = {
  NotOwner: 'This voucher belongs to another address.',
  VoucherExpired: 'This voucher has expired; the coordinator will issue a new one.',
  EmptyRange: 'This voucher covers no receipts.',
  WrongTotal: 'This voucher’s amount is not the sum of the receipts it names.',
  RangeNotNext: 'These receipts were already paid, or an earlier voucher must be claimed first.',
  WrongSigner: "This voucher is not signed by this network's coordinator.",
  ECDSAInvalidSignature: 'This voucher has an invalid signature.',
  ECDSAInvalidSignatureS: 'This voucher has an invalid signature.',
  ECDSAInvalidSignatureLength: 'This voucher has an invalid signature.',
  SafeERC20FailedOperation: 'The SYNOR token refused the transfer; try again later.',
  ERC20InsufficientBalance: 'The payout contract has run out of tokens; try again later.',
};

/** Turns an ethers failure to send a claim from `owner` into a sentence the user can act on. */
function claimRejected(error: unknown, owner: string): WalletError {
  if (isError(error, 'INSUFFICIENT_FUNDS')) {
    return new WalletError(
      'CLAIM_REJECTED',
      `Your address ${owner} has no coins of this chain to pay the transaction fee. ` +
        "Send it a little of the chain's own coin (not SYNOR), for example from an exchange or another wallet of yours, then claim again.",
    );
  }
  // Reverts during gas estimation come back undecoded; the revert data names the contract's custom error.
  const data = isError(error, 'CALL_EXCEPTION') ? error.data : undefined;
  const name = data ? payoutInterface.parseError(data)?.name : undefined;
  const known = name ? REVERT_MESSAGES[name] : undefined;
  return new WalletError('CLAIM_REJECTED', known ?? `The chain refused the claim: ${errorText(error, 160)}`);
}

export interface Balances {
  native: bigint;
  synor: bigint;
}

export interface ChainOptions {
  clock: Clock;
  /** Per RPC request. */
  timeoutMs?: number;
}

/** Balances, claims and claim history on the chain the settings name. Build it with connectChain(). */
export class ChainClient {
  private readonly payout: Contract;
  private readonly token: Contract;

  constructor(
    readonly settings: ChainSettings,
    readonly provider: JsonRpcProvider,
    private readonly clock: Clock,
  ) {
    this.payout = new Contract(settings.payoutAddress, PAYOUT_ABI, provider);
    this.token = new Contract(settings.tokenAddress, TOKEN_ABI, provider);
  }

  async balances(address: string): Promise<Balances> {
    const [native, synor] = await Promise.all([
      this.provider.getBalance(address),
      this.token
        .getFunction('balanceOf')(address)
        .then((wei: unknown) => Wei.parse(wei)),
    ]);
    return { native, synor };
  }

  /** The last receipt of the owner's device paid on chain (0: none yet) and the wei paid for it and all before it. */
  async paid(owner: string, deviceId: string): Promise<{ lastSeq: number; total: bigint }> {
    return readPaid(this.payout, owner, deviceId);
  }

  /** The address whose vouchers the payout contract accepts. */
  async signer(): Promise<string> {
    return Address.parse(await this.payout.getFunction('coordinator')());
  }

  /** What the voucher would pay if claimed now: nothing when it is expired, for someone else or already used. */
  async claimable(voucher: Voucher | undefined, owner: string): Promise<bigint> {
    if (!voucher || voucher.owner.toLowerCase() !== owner.toLowerCase()) return 0n;
    if (voucher.expiry * 1000 <= this.clock.now()) return 0n;
    for (const range of voucher.ranges) if (range.firstSeq !== (await this.paid(owner, range.deviceId)).lastSeq + 1) return 0n;
    return BigInt(voucher.amount);
  }

  /**
   * Sends the claim from `sender` (the owner's key, connected to this provider) and waits for it to be mined.
   * A claim the contract would refuse fails before sending, with the reason; `onSent` sees the pending record.
   */
  async claim(sender: Signer, voucher: Voucher, onSent?: (record: ClaimRecord) => void): Promise<ClaimRecord> {
    // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- connect keeps the contract and its ABI; ethers types the copy as a BaseContract
    const payout = this.payout.connect(sender) as Contract;
    const args = [voucher.owner, voucher.amount, voucher.ranges, voucher.expiry, voucher.signature];
    let tx;
    try {
      tx = await payout.getFunction('claim').send(...args);
    } catch (error) {
      throw claimRejected(error, voucher.owner);
    }
    const pending: ClaimRecord = {
      txHash: tx.hash,
      amount: voucher.amount,
      ranges: voucher.ranges,
      status: 'pending',
      at: this.clock.now(),
    };
    onSent?.(pending);
    try {
      const receipt = await tx.wait();
      if (!receipt) return pending;
      const block = await receipt.getBlock();
      return { ...pending, status: 'confirmed', blockNumber: receipt.blockNumber, at: block.timestamp * 1000 };
    } catch (error) {
      return { ...pending, status: 'failed', error: claimRejected(error, voucher.owner).message };
    }
  }

  /** Every claim the owner made on this payout contract, oldest first. */
  async history(owner: string): Promise<ClaimRecord[]> {
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- PAYOUT_ABI declares the Claimed event
    const logs = await this.payout.queryFilter(this.payout.filters['Claimed']!(owner), 0);
    const times = new Map<number, number>();
    const records: ClaimRecord[] = [];
    for (const log of logs) {
      if (!(log instanceof EventLog)) continue; // a log the ABI cannot read is not one of its claims
      if (!times.has(log.blockNumber)) times.set(log.blockNumber, (await log.getBlock()).timestamp * 1000);
      const [, amount, ranges] = ClaimedArgs.parse(log.args);
      records.push({
        txHash: log.transactionHash,
        amount: amount.toString(),
        ranges: ranges.map(([deviceId, firstSeq, lastSeq, wei]) => ({
          deviceId,
          firstSeq: Number(firstSeq),
          lastSeq: Number(lastSeq),
          amount: wei.toString(),
        })),
        status: 'confirmed',
        at: times.get(log.blockNumber) ?? 0,
        blockNumber: log.blockNumber,
      });
    }
    return records;
  }

  /** Reachable, the expected chain id, contracts present and wired together; otherwise a WalletError saying what to fix. */
  async verify(): Promise<void> {
    let actual: bigint;
    try {
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- eth_chainId answers a hex string (JSON-RPC); BigInt reads it or throws
      actual = BigInt((await this.provider.send('eth_chainId', [])) as string);
    } catch (error) {
      throw new WalletError(
        'CHAIN_UNREACHABLE',
        // In words: "(connect ECONNREFUSED 127.0.0.1:9)" tells a user nothing.
        `Cannot reach the chain at ${this.settings.rpcUrl}: ${connectionWords(error)}. Check the RPC URL and that the node is running.`,
      );
    }
    const { rpcUrl, chainId, tokenAddress, payoutAddress } = this.settings;
    if (actual !== BigInt(chainId)) {
      throw new WalletError(
        'WRONG_CHAIN',
        `The node at ${rpcUrl} serves chain ${actual}, but the settings expect chain ${chainId}. ` + 'Fix the chain id or the RPC URL.',
      );
    }
    for (const [what, address] of [
      ['token', tokenAddress],
      ['payout', payoutAddress],
    ] as const) {
      if ((await this.provider.getCode(address)) === '0x') {
        throw new WalletError('NO_CONTRACT', `There is no ${what} contract at ${address} on chain ${chainId}. Check the ${what} address.`);
      }
    }
    const paysIn = Address.parse(await this.payout.getFunction('token')());
    if (paysIn.toLowerCase() !== tokenAddress.toLowerCase()) {
      throw new WalletError('NO_CONTRACT', `The payout contract pays in token ${paysIn}, not ${tokenAddress}. Check the token address.`);
    }
  }

  close(): void {
    this.provider.destroy();
  }
}

/** Connects and checks the settings against the chain (see ChainClient.verify). */
export async function connectChain(settings: ChainSettings, options: ChainOptions): Promise<ChainClient> {
  const request = new FetchRequest(settings.rpcUrl);
  request.timeout = options.timeoutMs ?? 10_000;
  const provider = new JsonRpcProvider(request, undefined, {
    // Static: ethers would otherwise retry chain detection forever against a dead URL.
    staticNetwork: Network.from(settings.chainId),
    // No 250 ms result cache: a retried claim would get the old nonce and gas estimate back.
    cacheTimeout: -1,
    pollingInterval: 1000,
  });
  const client = new ChainClient(settings, provider, options.clock);
  try {
    await client.verify();
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}
