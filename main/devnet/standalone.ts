/**
 * The local devnet on its own: the coordinator and a local chain (anvil) with the SYNOR token and the payout
 * contract for the coordinator's key. `npm run devnet` runs it so several agents can join it (set their network
 * address to the printed one); the app forks it as its embedded devnet, which keeps the devnet's servers, chain
 * and onnxruntime verifier out of the agent's process. Everything lives in the data folder and survives restarts:
 * the coordinator's key and devices, its receipt log, and the chain's state (balances, contracts, claims).
 * Usage: npm run devnet -- [--port N] [--chain-port N] [--data DIR] [--task-interval MS] [--epoch-ms MS] [--verify-rate R]
 * (the chain listens on --port + 1 unless --chain-port is given; 0 for both picks free ports; without --epoch-ms,
 * SYNOR_DEVNET_EPOCH_SECONDS sets the epoch, a minute unless set).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEVNET_LABEL } from '../common/network.js';
import { stderrLogger } from '../core/node-ports.js';
import { appPaths } from '../core/paths.js';
import { payoutDeployment, startLocalChain, topUpNative } from './chain/local-chain.js';
import { startCoordinator } from './coordinator.js';
import type { DevnetReady } from '../common/devnet.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'chain-port': { type: 'string' },
    data: { type: 'string' },
    'task-interval': { type: 'string' },
    'epoch-ms': { type: 'string' },
    /**
     * Share of results recomputed (0–1) for a device with a long clean record; a new one has all its results checked.
     * 0 checks none and pays every result unverified, whatever its outputs (benches only).
     */
    'verify-rate': { type: 'string' },
  },
});
const port = Number(values.port ?? 7440);
// The embedded devnet is forked without the option: its epochs are set for it by the environment.
const secondsFromEnv = process.env['SYNOR_DEVNET_EPOCH_SECONDS'];
const epochMs = values['epoch-ms'] ?? (secondsFromEnv ? String(Number(secondsFromEnv) * 1000) : undefined);
// A fixed chain address when the coordinator's is fixed: agents pin the payout chain it names.
const chainPort = Number(values['chain-port'] ?? (port === 0 ? 0 : port + 1));
const dataDir = values.data ?? join(appPaths(process.platform, process.env, homedir()).dataDir, 'devnet-standalone');
// Stop handlers come first: a stop that arrives while things start waits for them, so nothing is left behind
// (anvil is a process of its own and would outlive us).
const closers: (() => Promise<unknown>)[] = [];
const startup = (async () => {
  const coordinator = await startCoordinator({
    port,
    stateFile: join(dataDir, 'coordinator.json'),
    logger: stderrLogger,
    ...(values['task-interval'] ? { taskIntervalMs: Number(values['task-interval']) } : {}),
    ...(epochMs ? { epochMs: Number(epochMs) } : {}),
    ...(values['verify-rate'] ? { verifyRate: Number(values['verify-rate']) } : {}),
  });
  closers.push(() => coordinator.close());
  const chain = await startLocalChain({ stateFile: join(dataDir, 'chain-state.json'), port: chainPort });
  closers.push(() => chain.stop());
  const { settings } = await payoutDeployment(chain, { coordinator: coordinator.address, file: join(dataDir, 'chain.json') });
  coordinator.attachPayout({ settings, provider: chain.provider, fund: (owner) => topUpNative(chain, owner) });
  return { coordinator, chain, settings };
})();
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void startup
    .catch(() => undefined)
    .then(() => Promise.allSettled(closers.map((close) => close())))
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// Forked by the app: when the app goes away (even killed), so does its devnet.
process.on('disconnect', stop);

const { coordinator, chain, settings } = await startup.catch((error: unknown) => {
  // First in one short line for the agent that forked us: Node's own report starts with the line of code that threw
  // (in a build, a whole bundle line), too long to reach the agent before this process ends.
  process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  throw error;
});
process.stdout.write(
  `${DEVNET_LABEL}\nCoordinator: ${coordinator.url}  (receipts signed by ${coordinator.address}, state in ${dataDir})\n` +
    `Chain: ${chain.rpcUrl} (chain id ${settings.chainId}, payout contract ${settings.payoutAddress}, token ${settings.tokenAddress})\n`,
);
const ready: DevnetReady = { type: 'ready', url: coordinator.url, chain: settings };
process.send?.(ready);
