/**
 * Whole agents in their own processes (headless mode from source, real hardware probe, job hosts and onnxruntime),
 * driven over their HTTP API and watched through their event socket, as the UI does; and `npm run devnet`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { AgentState } from '../../../main/common/state.js';
import type { ClaimRecord } from '../../../main/common/wallet.js';
import { WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../main/common/wire.js';
import { tempDir } from '../../helpers/fakes.js';
import { ledgerWei as ledgerFileWei } from '../../helpers/ledger.js';
import { ROOT, rpc, startHeadless, waitForLine, type Headless } from '../../helpers/headless.js';

export interface TestAgent extends Headless {
  home: string;
  /** Resolves with the first state (the current one included) for which `match` holds. */
  until(match: (state: AgentState) => boolean, what: string): Promise<AgentState>;
  /** Calls a command and fails the test unless it answered ok. */
  ok<T = unknown>(cmd: string, args?: unknown): Promise<T>;
}

/** The headless agent under `home`, from source unless `command` says otherwise (a bench runs the build). */
export async function startAgent(home: string, command = ['--import', 'tsx', 'main/core/headless.ts', '--port', '0']): Promise<TestAgent> {
  const agent = await startHeadless(home, command);
  let latest: AgentState | null = null;
  const waiters = new Set<{ match: (s: AgentState) => boolean; resolve: (s: AgentState) => void }>();
  const socket = new WebSocket(`${agent.origin.replace('http', 'ws')}${WS_PATH}`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${agent.token}`], {
    origin: agent.origin,
  });
  socket.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString()) as { type: string; state?: AgentState };
    if (event.type !== 'state' || !event.state) return;
    latest = event.state;
    for (const w of [...waiters]) {
      if (!w.match(event.state)) continue;
      waiters.delete(w);
      w.resolve(event.state);
    }
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    ...agent,
    home,
    until(match, what) {
      if (latest && match(latest)) return Promise.resolve(latest);
      return new Promise((resolve, reject) => {
        waiters.add({ match, resolve });
        agent.child.once('exit', () => reject(new Error(`the agent exited while waiting for ${what}:\n${agent.output().slice(-3000)}`)));
      });
    },
    async ok<T>(cmd: string, args: unknown = {}) {
      const answer = (await rpc(agent, cmd, args)) as { ok: boolean; value?: T; error?: unknown };
      if (!answer.ok) throw new Error(`${cmd} failed: ${JSON.stringify(answer.error)}`);
      return answer.value as T;
    },
    async stop() {
      socket.close();
      await agent.stop();
    },
  };
}

/** The devnet from source, as `npm run devnet` runs it. */
export const DEVNET_SOURCE = ['--import', 'tsx', 'main/devnet/standalone.ts'];
/** The devnet's bundle from the build, for tests of the built agent: the two speak the protocol of one tree. */
export const DEVNET_BUILT = ['dist/main/devnet.js'];

/** `npm run devnet` (the same script, run by node directly so stopping it stops the devnet itself). */
export async function startDevnet(dataDir: string, epochMs = 1000, entry = DEVNET_SOURCE) {
  // Epochs of a second: earnings are sealed, and claimable, at once rather than a minute after the work.
  const child = spawn(process.execPath, [...entry, '--port', '0', '--data', dataDir, '--epoch-ms', String(epochMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const [, url, rpcUrl] = (await waitForLine(child as never, /Coordinator: (\S+)[\s\S]*Chain: (\S+)/)) as unknown as [
    string,
    string,
    string,
  ];
  return {
    url,
    rpcUrl,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Settings that share at once on this busy test machine, on the given network (null: the embedded devnet). */
export const shareNow = (coordinatorUrl: string | null) => ({
  sharing: true,
  idleOnly: { enabled: false, minutes: 10 },
  pauseWhenUserCpuAbovePercent: null,
  network: { coordinatorUrl, tariffPerKwh: 0.3, usdPerSynor: null },
});

/** The sum of every signed epoch in the agent's ledger file, read directly. */
export const ledgerWei = (home: string): Promise<bigint> => ledgerFileWei(join(home, 'data', 'ledger.jsonl'));

/** The payout contract the agent pinned for the coordinator at `url` (network/payout-chains.json). */
export async function pinnedPayout(agent: TestAgent, url: string): Promise<string> {
  const pins = JSON.parse(await readFile(`${agent.home}/data/network/payout-chains.json`, 'utf8')) as Record<
    string,
    { payoutAddress: string }
  >;
  const pin = pins[url];
  assert.ok(pin, `no payout chain pinned for ${url}: ${JSON.stringify(pins)}`);
  return pin.payoutAddress;
}

/** A devnet started by `startDevnet`. */
export type Devnet = Awaited<ReturnType<typeof startDevnet>>;

/** A devnet (`startDevnet`) in a new temp folder. */
export const freshDevnet = async (epochMs?: number, entry?: string[]): Promise<Devnet> => startDevnet(await tempDir(), epochMs, entry);

/** An agent (`startAgent`) in a new temp folder. */
export const freshAgent = async (command?: string[]): Promise<TestAgent> => startAgent(await tempDir(), command);

/** Waits for `thing` to start and adds it to `running` (what the file's `after` stops), so a failed start beside it leaks nothing. */
export async function kept<T extends { stop(): Promise<void> }>(running: { stop(): Promise<void> }[], thing: Promise<T>): Promise<T> {
  const started = await thing;
  running.push(started);
  return started;
}

/**
 * Nothing left that could earn: sharing off, no task running, every finished result submitted (the coordinator signs
 * a result's receipts before it answers the submit, and the claim fetches receipts first).
 */
export const settled = (s: AgentState): boolean =>
  !s.sharing && !s.work.tasks.some((t) => t.state === 'running') && (s.work.network?.queued ?? 0) === 0;

/** Claims until nothing is left (a later claim covers receipts whose epoch was still open at the one before); oldest first. */
export async function claimAll(agent: TestAgent): Promise<ClaimRecord[]> {
  const claims: ClaimRecord[] = [];
  for (;;) {
    const answer = (await rpc(agent, 'walletClaim')) as { ok: boolean; value?: ClaimRecord; error?: { code: string } };
    if (!answer.ok && answer.error?.code === 'NOT_APPLICABLE' && claims.length > 0) return claims;
    assert.ok(answer.ok && answer.value?.status === 'confirmed', JSON.stringify(answer));
    claims.push(answer.value);
  }
}
