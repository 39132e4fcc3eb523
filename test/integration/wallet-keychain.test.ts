import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { verifyTypedData } from 'ethers';
import { tempDir } from '../helpers/fakes.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./wallet-keychain.child.ts', import.meta.url));
const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0);
const skip = missing.length > 0 ? `needs ${missing.join(', ')}: run scripts/system-deps.sh` : false;
if (skip) console.log(`# skipping keychain tests: ${skip}`);

interface StepOutput {
  opened: { ok: boolean };
  result: { ok: boolean; value?: Record<string, unknown>; error?: { code: string; message: string } };
  info: { state: string; address?: string; storage?: string };
  inKeychain: boolean;
  logs: string[];
}

/** A private home for the keyring files, and a session bus of its own: the developer's keyring is never touched. */
async function machine() {
  const home = await tempDir('synor-keyring-');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_DATA_HOME', 'XDG_RUNTIME_DIR', 'GNOME_KEYRING_CONTROL']) delete env[name];
  const dir = `${home}/wallet`;
  const node = `exec "${process.execPath}" --import tsx "${child}" "$@"`;
  /** Runs the child step after `setup` (a shell line), inside a fresh session bus when `bus` is set. */
  const step = async (bus: boolean, setup: string, args: string[]): Promise<StepOutput> => {
    const script = ['sh', '-c', `${setup}${node}`, 'sh', dir, ...args];
    const { stdout } = bus ? await run('dbus-run-session', ['--', ...script], { env }) : await run(script[0]!, script.slice(1), { env });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as StepOutput;
  };
  return {
    /** One "run" of the app: a new session bus and keyring daemon, the login keyring unlocked with its password. */
    unlocked: (...args: string[]) =>
      step(true, 'echo keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ', args),
    /** A session whose keyring nobody unlocked (and no prompt can be shown). */
    locked: (...args: string[]) => step(true, 'gnome-keyring-daemon --start --components=secrets >/dev/null; ', args),
    /** No D-Bus at all, like a bare headless server. */
    noBus: (...args: string[]) => step(false, '', args),
  };
}

test(
  'OS keychain (gnome-keyring over D-Bus): the key is stored there, survives a restart, signs, and is deleted on remove',
  { timeout: 300_000, skip },
  async () => {
    const m = await machine();
    const created = await m.unlocked('create');
    assert.ok(created.result.ok, JSON.stringify(created));
    assert.equal(created.info.state, 'ready');
    assert.equal(created.info.storage, 'keychain');
    assert.equal(created.inKeychain, true);

    const reopened = await m.unlocked('open');
    assert.equal(reopened.info.state, 'ready', JSON.stringify(reopened));
    assert.equal(reopened.info.address, created.info.address);
    const { signature, typed } = reopened.result.value as {
      signature: string;
      typed: { domain: object; types: Record<string, []>; value: object };
    };
    assert.equal(verifyTypedData(typed.domain, typed.types, typed.value, signature), created.info.address);

    const removed = await m.unlocked('remove');
    assert.deepEqual(removed.result, { ok: true, value: { keychainEntry: null } });
    assert.equal((await m.unlocked('open')).info.state, 'none');
  },
);

for (const [what, kind] of [
  ['a locked keyring', 'locked'],
  ['no D-Bus session at all', 'noBus'],
] as const) {
  test(
    `with ${what}: a clear message asks for a passphrase, then the key goes to the encrypted keystore file`,
    { timeout: 300_000, skip },
    async () => {
      const m = await machine();
      const refused = await m[kind]('create');
      assert.equal(refused.result.error?.code, 'PASSPHRASE_REQUIRED');
      assert.match(
        refused.result.error?.message ?? '',
        /cannot go into the OS keychain: the OS keychain cannot be used \(.+\)\. Choose a passphrase/,
      );
      assert.equal(refused.info.state, 'none');

      const created = await m[kind]('create', 'a good passphrase');
      assert.ok(created.result.ok, JSON.stringify(created));
      assert.equal(created.info.storage, 'keystore-file');
      assert.equal(created.inKeychain, false);
      assert.ok(created.logs.some((line) => /warn wallet: the OS keychain cannot be used .*passphrase-encrypted keystore file/.test(line)));

      const reopened = await m[kind]('open', 'a good passphrase');
      assert.equal(reopened.opened.ok, true);
      assert.equal(reopened.info.state, 'ready', JSON.stringify(reopened));
      assert.equal(reopened.info.address, created.info.address);
    },
  );
}
