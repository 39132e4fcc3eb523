// Every backup restores (issue 26 items 1 and 2): the real agent's command path (schemas, wallet, files on disk) with
// fake OS ports, driven as the Wallet page drives it.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../../main/core/agent.js';
import { CONFIRM_COOLDOWN_MS } from '../../main/core/wallet/guard.js';
import { testAgent } from '../helpers/agent.js';
import type { FakeClock } from '../helpers/fakes.js';
import { TEST_PHRASE, TEST_PHRASE_ADDRESS, type MemorySecretStore } from '../helpers/wallet.js';
import { clean, type CaseOutcome, type SoakCase } from './case.js';

type Answer = { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };
const call = async (agent: Agent, cmd: string, args: unknown): Promise<Answer> => (await agent.call({ cmd, args })) as Answer;
const said = (answer: Answer): string => (answer.ok ? 'ok' : `${answer.error.code}: ${answer.error.message}`);
const walletOf = (agent: Agent) => agent.state().wallet.wallet;

/** For a key the OS keeps: ask for a confirmation, let its cool-down pass on the agent's clock, type the address. */
async function confirmed(agent: Agent, clock: FakeClock, action: 'export' | 'remove', address: string) {
  const asked = await call(agent, 'walletRequestConfirmation', { action });
  if (!asked.ok) throw new Error(said(asked));
  clock.advance(CONFIRM_COOLDOWN_MS);
  return { token: asked.value['token'], address };
}

const PASS = 'soak passphrase';

export const WALLET_CASES: SoakCase[] = [
  {
    name: 'backup round trip: create, export, remove, import the backup',
    fast: false,
    run: async () => {
      const { agent, ports, paths } = await testAgent();
      const clock = ports.clock as FakeClock;
      try {
        const created = await call(agent, 'walletCreate', {});
        const wallet = walletOf(agent);
        if (!created.ok || wallet.state === 'none') return { ...clean, ok: false, outcome: `create: ${said(created)}` };
        const exported = await call(agent, 'walletExport', {
          passphrase: PASS,
          auth: await confirmed(agent, clock, 'export', wallet.address),
        });
        if (!exported.ok) return { ...clean, ok: false, outcome: `export: ${said(exported)}` };
        const toPage = exported.value['to'] === 'download';
        const removed = await call(agent, 'walletRemove', {
          address: wallet.address,
          auth: await confirmed(agent, clock, 'remove', wallet.address),
        });
        const json = String(exported.value['json']);
        const imported = await call(agent, 'walletImport', { secret: { kind: 'keystore', json, passphrase: PASS } });
        const back = walletOf(agent);
        const same = back.state === 'ready' && back.address === wallet.address;
        // The agent hands the backup to the page and writes no copy of its own anywhere.
        const files = await readdir(paths.dataDir, { recursive: true });
        const copies = files.filter((name) => name.includes('synor-wallet-'));
        return {
          ...clean,
          leftovers: copies.length,
          ok: toPage && removed.ok && imported.ok && same,
          outcome:
            `exported ${json.length} bytes, to the page as a download: ${toPage}, removed: ${said(removed)}, imported: ${said(imported)}, ` +
            `same address: ${same}, copies written by the agent: ${copies.length}`,
        };
      } finally {
        await agent.close();
      }
    },
  },
  {
    name: 'missing keystore: at start and while running, import works at once',
    fast: false,
    run: async () => {
      // No OS keychain: the key lives in keystore.json, the file this case takes away.
      const fileAgent = async (dir?: string) => {
        const started = await testAgent(dir);
        (started.ports.secrets as MemorySecretStore).unavailable = 'no keyring in this soak case';
        return started;
      };
      const first = await fileAgent();
      const keyFile = join(first.paths.dataDir, 'wallet', 'keystore.json');
      const outcomes: string[] = [];
      let ok = true;
      const check = (what: string, good: boolean, detail: string): void => {
        ok &&= good;
        outcomes.push(`${what}: ${detail}`);
      };
      const importPhrase = (agent: Agent) =>
        call(agent, 'walletImport', { secret: { kind: 'phrase', phrase: TEST_PHRASE }, passphrase: PASS });
      try {
        check('import', (await importPhrase(first.agent)).ok, walletOf(first.agent).state);
      } finally {
        await first.agent.close();
      }
      // At start: the key file is gone after a restart.
      await rm(keyFile, { force: true });
      const again = await fileAgent(first.dir);
      try {
        const view = walletOf(again.agent);
        const notice = again.agent.state().notices.find((n) => n.message.includes('needs its recovery phrase or backup file'));
        const lost = view.state === 'none' && view.lost?.address === TEST_PHRASE_ADDRESS;
        check('after restart', lost && notice !== undefined, `${view.state}, notice: ${notice ? 'yes' : 'none'}`);
        const imported = await importPhrase(again.agent);
        check('import at once', imported.ok && walletOf(again.agent).state === 'ready', said(imported));
      } finally {
        await again.agent.close();
      }
      // While running: the wallet starts locked, then its key file goes before the user unlocks.
      const third = await fileAgent(first.dir);
      try {
        check('locked at start', walletOf(third.agent).state === 'locked', walletOf(third.agent).state);
        await rm(keyFile, { force: true });
        const unlock = await call(third.agent, 'walletUnlock', { passphrase: PASS });
        check('unlock', !unlock.ok && walletOf(third.agent).state === 'none', said(unlock).slice(0, 60));
        const activity = (await third.agent.call({ cmd: 'getActivity' })) as { ok: boolean; value?: { message: string }[] };
        const logged = activity.value?.some((entry) => entry.message.includes('needs its recovery phrase or backup file')) ?? false;
        check('activity log', logged, logged ? 'said' : 'silent');
        const imported = await importPhrase(third.agent);
        check('import at once', imported.ok && walletOf(third.agent).state === 'ready', said(imported));
      } finally {
        await third.agent.close();
      }
      return { ...clean, ok, outcome: outcomes.join('; ') } satisfies CaseOutcome;
    },
  },
];
