// Each earnings-history notice once, and every line left out said (issue 27 item 7), through the agent's real API in
// this process: a history with a forged line, a repeated line and a damaged per-task detail line, opened while the
// wallet is unlocked so the network part starts too; the activity log is counted.
import assert from 'node:assert/strict';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import type { ActivityEntry, AgentState } from '../../main/common/state.js';
import { createAgent, type Agent } from '../../main/core/agent.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { dayName } from '../../main/core/ledger/detail.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { signedEpoch, testReceipt } from '../helpers/ledger.js';

const PASSPHRASE = 'correct horse battery staple';
// Never answers: the network part starts (and fails to reach it), which is all this needs of it.
const URL_A = 'http://127.0.0.1:9/';

/** An agent over `dir` whose OS has no keychain: a key goes into a passphrase file. */
function agentIn(dir: string): Promise<Agent> {
  return createAgent({
    ports: { ...fakePorts(), secrets: null },
    paths: { configDir: join(dir, 'config'), dataDir: join(dir, 'data') },
    mode: 'headless',
    version: '0.0.0-test',
    autoBenchmark: false,
    embeddedDevnet: false,
  });
}

function until(agent: Agent, match: (s: AgentState) => boolean): Promise<AgentState> {
  return new Promise((resolve) => {
    const check = (s: AgentState): boolean => {
      if (!match(s)) return false;
      off();
      resolve(s);
      return true;
    };
    const off = agent.subscribe((e) => void (e.type === 'state' && check(e.state)));
    check(agent.state());
  });
}

async function activity(agent: Agent): Promise<ActivityEntry[]> {
  const reply = await agent.call({ cmd: 'getActivity', args: {} });
  assert.ok(reply.ok);
  return reply.value as ActivityEntry[];
}

const SET_ASIDE = /^1 line of your earnings history did not check out/;
const REPEATED = /^1 repeated line in your earnings history was counted once; nothing was lost/;
const DETAIL =
  /^1 line of the per-task detail of your earnings \(\d{4}-\d{2}-\d{2}\.jsonl, kept for proofs and the CSV export\) is damaged/;

test(
  'a forged line, a repeated line and a damaged detail line: each told once in the activity log, also after a CSV export reads the detail again',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const first = await agentIn(dir);
    assert.ok((await first.call({ cmd: 'walletCreate', args: { passphrase: PASSPHRASE } })).ok);
    const network = { coordinatorUrl: URL_A, tariffPerKwh: 0.3, usdPerSynor: null };
    assert.ok((await first.call({ cmd: 'updateSettings', args: { network } })).ok);
    await first.close();

    // Three epochs written as the client writes them (ledger line and detail), signed by the network this device pinned.
    const coordinator = Wallet.createRandom();
    const source = { url: URL_A, devnet: false, coordinator: coordinator.address, chainId: 31337 };
    const owner = Wallet.createRandom().address;
    const file = join(data, 'ledger.jsonl');
    const ledger = await Ledger.open(file);
    await ledger.verify(() => null, 0);
    const at = Date.now();
    for (let seq = 1; seq <= 3; seq++) await ledger.appendEpoch(at, source, await signedEpoch([testReceipt(owner, { seq })], coordinator));
    await ledger.saveCheckpoint();
    const pin = { coordinator: coordinator.address, chainId: 31337, token: null, cursor: 3, registeredAt: 0 };
    await writeFile(join(data, 'network', 'client.json'), JSON.stringify({ deviceId: 'dev-a', coordinators: { [URL_A]: pin } }));

    // The second epoch written again, and one signed by a stranger; no index, so every line and the detail are read.
    const lines = (await readFile(file, 'utf8')).split('\n');
    await appendFile(file, `${lines[1]}\n`);
    const { epoch, signature } = await signedEpoch([testReceipt(owner, { seq: 4 })], Wallet.createRandom());
    await appendFile(file, encodeRecord({ kind: 'epoch', at, source, signed: { epoch, signature } }));
    await rm(`${file}.index`);
    // A receipt's amount edited in the detail: its checksum no longer matches.
    const dayFile = join(`${file}.detail`, `${dayName(at)}.jsonl`);
    const detail = (await readFile(dayFile, 'utf8')).split('\n');
    detail[0] = detail[0]!.replace(/"(\d+)"/, (_m, digits: string) => `"${digits}1"`);
    await writeFile(dayFile, detail.join('\n'));

    const agent = await agentIn(dir);
    try {
      assert.ok((await agent.call({ cmd: 'walletUnlock', args: { passphrase: PASSPHRASE } })).ok);
      // Checked (the detail read with it, no index being there), counted, and the network part started with the history
      // open (which used to tell the set-aside again).
      const done = await until(agent, (s) => !s.work.ledgerCheck && s.work.network !== null && (s.work.networks?.length ?? 0) > 0);
      assert.equal(done.work.networks![0]!.receipts, 3, 'the repeated epoch counted once, the forged one not at all');
      const csv = await agent.call({ cmd: 'exportEarningsCsv', args: {} });
      assert.ok(csv.ok);
      // A publish after the export: anything the state would tell again is in the log by then.
      assert.ok((await agent.call({ cmd: 'setShare', args: { on: false } })).ok);
      const entries = await activity(agent);
      const count = (pattern: RegExp): number => entries.filter((e) => pattern.test(e.message)).length;
      assert.deepEqual(
        { setAside: count(SET_ASIDE), repeated: count(REPEATED), detail: count(DETAIL) },
        { setAside: 1, repeated: 1, detail: 1 },
        entries.map((e) => e.message).join('\n'),
      );
      assert.ok(
        entries.every((e) => !/Zod|ENOENT|ECONN|checksum/.test(e.message)),
        'plain words only',
      );
    } finally {
      await agent.close();
    }
  },
);
