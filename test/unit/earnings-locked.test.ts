// Earnings readable with a locked wallet (issue 27 item 6), through the agent's real API in this process: a wallet
// kept in a passphrase file is locked after a restart; the earnings history (about 3,000 signed epochs, no index) is
// checked in the background from the agent's start, its progress in the state, and the earnings, totals and CSV are
// read while the wallet stays locked.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { EarningsSummary } from '../../main/common/network.js';
import type { AgentState } from '../../main/common/state.js';
import { createAgent, type Agent } from '../../main/core/agent.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { networkKey } from '../../main/core/ledger/source.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { fastSignedEpoch, testReceipt } from '../helpers/ledger.js';

const PASSPHRASE = 'correct horse battery staple';
const URL_A = 'https://a.example/';

/** An agent over `dir` whose OS has no keychain: a key goes into a passphrase file. */
function agentIn(dir: string): Promise<Agent> {
  const ports = { ...fakePorts(), secrets: null };
  return createAgent({
    ports,
    paths: { configDir: join(dir, 'config'), dataDir: join(dir, 'data') },
    mode: 'headless',
    version: '0.0.0-test',
    autoBenchmark: false,
    embeddedDevnet: false,
  });
}

/** Resolves with the first state (the current one included) that matches; every state seen goes to `seen`. */
function until(agent: Agent, match: (s: AgentState) => boolean, seen: AgentState[] = []): Promise<AgentState> {
  return new Promise((resolve) => {
    const check = (s: AgentState): boolean => {
      seen.push(s);
      if (!match(s)) return false;
      off();
      resolve(s);
      return true;
    };
    const off = agent.subscribe((e) => void (e.type === 'state' && check(e.state)));
    check(agent.state());
  });
}

test(
  'with the wallet locked, the history is checked in the background with progress, then earnings are read',
  { timeout: 300_000 },
  async () => {
    const dir = await tempDir();
    const first = await agentIn(dir);
    const created = await first.call({ cmd: 'walletCreate', args: { passphrase: PASSPHRASE } });
    assert.ok(created.ok && (created.value as AgentState['wallet']).wallet.state === 'ready');
    assert.ok(
      (await first.call({ cmd: 'updateSettings', args: { network: { coordinatorUrl: URL_A, tariffPerKwh: 0.3, usdPerSynor: null } } })).ok,
    );
    await first.close();

    // A week's worth of history in lines (no index: every line is checked at the next start), signed by A for this device.
    const coordinator = Wallet.createRandom();
    const source = { url: URL_A, devnet: false, coordinator: coordinator.address, chainId: 31337 };
    const owner = Wallet.createRandom().address;
    let lines = '';
    let wei = 0n;
    for (let seq = 1; seq <= 3_000; seq++) {
      const { epoch, signature } = await fastSignedEpoch([testReceipt(owner, { seq })], coordinator);
      wei += BigInt(epoch.totalWei);
      lines += `${encodeRecord({ kind: 'epoch', at: epoch.closedAt, source, signed: { epoch, signature } })}\n`;
    }
    await writeFile(join(dir, 'data', 'ledger.jsonl'), lines);
    await mkdir(join(dir, 'data', 'network'), { recursive: true });
    const pin = { coordinator: coordinator.address, chainId: 31337, token: null, cursor: 3_000, registeredAt: 0 };
    await writeFile(join(dir, 'data', 'network', 'client.json'), JSON.stringify({ deviceId: 'dev-a', coordinators: { [URL_A]: pin } }));

    const agent = await agentIn(dir);
    try {
      const seen: AgentState[] = [];
      const under = await until(agent, (s) => (s.work.ledgerCheck?.checkedBytes ?? 0) > 0, seen);
      assert.equal(under.wallet.wallet.state, 'locked');
      assert.ok(under.work.ledgerCheck!.checkedBytes < under.work.ledgerCheck!.totalBytes, 'under way, not done');
      const during = await agent.call({ cmd: 'getEarnings', args: {} });
      assert.ok(!during.ok && during.error.code === 'UNAVAILABLE');
      assert.match(during.error.message, /^Your earnings history is being checked \(\d+ % done\); the figures appear when it is done\.$/);

      const done = await until(agent, (s) => !s.work.ledgerCheck && (s.work.networks?.length ?? 0) > 0, seen);
      const steps = seen.flatMap((s) => (s.work.ledgerCheck ? [s.work.ledgerCheck.checkedBytes] : []));
      assert.ok(new Set(steps).size >= 3, `progress told as it went (${new Set(steps).size} steps)`);
      assert.equal(done.wallet.wallet.state, 'locked', 'checked and read without the key');
      const shown = done.work.networks![0]!;
      assert.deepEqual([shown.key, shown.current, shown.confirmedWei, shown.receipts], [networkKey(source), true, String(wei), 3_000]);
      assert.equal(done.work.earned?.confirmedWei, String(wei), "the dashboard's total, read while locked");
      const summary = await agent.call({ cmd: 'getEarnings', args: { network: shown.key } });
      assert.ok(summary.ok);
      assert.equal((summary.value as EarningsSummary).total.confirmedWei, String(wei));
      const csv = await agent.call({ cmd: 'exportEarningsCsv', args: {} });
      assert.ok(csv.ok && (csv.value as { csv: string }).csv.startsWith('time_utc,'));
      assert.match(done.work.blocker ?? '', /^Unlock your wallet to start earning/, 'only earning waits for the key');
    } finally {
      await agent.close();
    }
  },
);
