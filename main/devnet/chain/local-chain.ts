import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, Network, NonceManager, Wallet, parseEther, parseUnits, type Signer } from 'ethers';
import { z } from 'zod';
import type { ChainSettings } from '../../common/wallet.js';
import { writeFileAtomic } from '../../core/fs/atomic.js';
import { PAYOUT_ABI } from '../../common/payout-abi.js';
import { loadArtifacts } from './artifacts.js';

const require = createRequire(import.meta.url);
export const LOCAL_CHAIN_ID = 31337;
/** Anvil's first well-known dev account (public test key): deploys and funds. Never holds real value. */
export const ANVIL_DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  provider: JsonRpcProvider;
  /** Funded dev account, nonce-managed so back-to-back transactions do not collide. */
  deployer: Signer;
  stop(): Promise<void>;
}

/**
 * The platform binary from @foundry-rs/anvil's optional dependency, run directly rather than through the package's
 * node launcher, so stopping the chain kills anvil itself and not just a wrapper.
 */
function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    // In the packaged app the program is unpacked beside app.asar (electron-builder.yml): no program runs from inside it.
    return require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/bin/${exe}`).replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
  } catch {
    throw new Error(`No anvil binary for ${process.platform}-${process.arch}: the devnet chain needs @foundry-rs/anvil (npm install).`);
  }
}

/** Waits for anvil's "Listening on host:port" line; fails with its output if it exits first. */
function listeningAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Listening on (\S+)/.exec(output);
      if (match?.[1]) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`anvil exited (${code}) before listening:\n${output}`));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

/**
 * A local EVM (anvil) on 127.0.0.1 (a free port unless `port`); automine, so every transaction is mined at once.
 * With `stateFile` the chain starts from that file when it exists and is written back to it every second and on
 * stop, so balances, contracts and claims survive restarts.
 */
export async function startLocalChain(options: { stateFile?: string; port?: number } = {}): Promise<LocalChain> {
  const state = options.stateFile ? ['--state', options.stateFile, '--state-interval', '1', '--preserve-historical-states'] : [];
  const args = ['--host', '127.0.0.1', '--port', String(options.port ?? 0), '--chain-id', String(LOCAL_CHAIN_ID), ...state];
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let address: string;
  try {
    address = await listeningAddress(child);
  } catch (error) {
    child.kill();
    throw error;
  }
  child.stdout?.resume(); // anvil keeps logging; an unread pipe would eventually block it
  const rpcUrl = `http://${address}`;
  const provider = new JsonRpcProvider(rpcUrl, undefined, {
    staticNetwork: Network.from(LOCAL_CHAIN_ID),
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  return {
    rpcUrl,
    chainId: LOCAL_CHAIN_ID,
    provider,
    deployer: new NonceManager(new Wallet(ANVIL_DEPLOYER_KEY, provider)),
    stop: async () => {
      provider.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

export interface Deployment {
  settings: ChainSettings;
  tokenAddress: string;
  payoutAddress: string;
}

/**
 * Deploys SYNOR and the payout contract (vouchers signed by `coordinator`) and moves `fund` SYNOR into the payout
 * contract. Token amounts have 18 decimals.
 */
export async function deployPayout(
  chain: Pick<LocalChain, 'rpcUrl' | 'chainId' | 'deployer'>,
  options: { coordinator: string; fund?: bigint; supply?: bigint },
): Promise<Deployment> {
  const { contracts } = loadArtifacts();
  const supply = options.supply ?? parseUnits('1000000000', 18);
  const tokenFactory = new ContractFactory(contracts.SynorToken.abi, contracts.SynorToken.bytecode, chain.deployer);
  const token = await (await tokenFactory.deploy('Synor (test tokens)', supply)).waitForDeployment();
  const tokenAddress = await token.getAddress();
  const payoutFactory = new ContractFactory(contracts.SynorPayout.abi, contracts.SynorPayout.bytecode, chain.deployer);
  const payout = await (await payoutFactory.deploy(tokenAddress, options.coordinator)).waitForDeployment();
  const payoutAddress = await payout.getAddress();
  await (await token.getFunction('transfer')(payoutAddress, options.fund ?? supply)).wait();
  return {
    tokenAddress,
    payoutAddress,
    settings: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, tokenAddress, payoutAddress, label: 'test tokens' },
  };
}

/** Gives an address native coins for claim fees (anvil only). */
export async function fundNative(chain: Pick<LocalChain, 'provider'>, address: string, ether = '1'): Promise<void> {
  await chain.provider.send('anvil_setBalance', [address, `0x${parseEther(ether).toString(16)}`]);
}

/** Tops an address up to 1 coin for claim fees when it has less than 0.1 (anvil only): a hundred claims or more. */
export async function topUpNative(chain: Pick<LocalChain, 'provider'>, address: string): Promise<void> {
  if ((await chain.provider.getBalance(address)) < parseEther('0.1')) await fundNative(chain, address);
}

const DeploymentFileSchema = z.object({ coordinator: z.string(), tokenAddress: z.string(), payoutAddress: z.string() }).strict();

/**
 * The SYNOR token and payout contract for `coordinator` on this chain: the ones recorded in `file` when the chain
 * still has them (its state was kept) and they pay that coordinator's vouchers, else freshly deployed and recorded.
 */
export async function payoutDeployment(chain: LocalChain, options: { coordinator: string; file: string }): Promise<Deployment> {
  const recorded = await readFile(options.file, 'utf8').then(
    (text) => DeploymentFileSchema.parse(JSON.parse(text)),
    () => null,
  );
  if (recorded && recorded.coordinator === options.coordinator && (await chain.provider.getCode(recorded.payoutAddress)) !== '0x') {
    const payout = new Contract(recorded.payoutAddress, PAYOUT_ABI, chain.provider);
    if ((await payout.getFunction('coordinator')()) === options.coordinator) {
      const { tokenAddress, payoutAddress } = recorded;
      return {
        tokenAddress,
        payoutAddress,
        settings: { rpcUrl: chain.rpcUrl, chainId: chain.chainId, tokenAddress, payoutAddress, label: 'test tokens' },
      };
    }
  }
  const deployment = await deployPayout(chain, { coordinator: options.coordinator });
  const { tokenAddress, payoutAddress } = deployment;
  await writeFileAtomic(options.file, JSON.stringify({ coordinator: options.coordinator, tokenAddress, payoutAddress }));
  return deployment;
}
