// The `synor` command as a script meets it: a real headless agent on a kept port, the built command run as a
// process, its exit codes and --json answers parsed with the contract's schemas; the kept address across restarts.
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { commands } from '../../main/common/contract.js';
import { LocalAddressSchema } from '../../main/core/server/local-address.js';
import { tempDir } from '../helpers/fakes.js';
import { rpc, startHeadless, type Headless } from '../helpers/headless.js';
import { freePort } from '../helpers/ports.js';
import { BUILT_SYNOR, runSynor } from './support/cli.js';

const T = { timeout: 120_000 };

/** The built command with its data under `home`, as a script runs it. */
const synor = (home: string, ...args: string[]) => runSynor(BUILT_SYNOR, home, args);

const kept = async (home: string) => LocalAddressSchema.parse(JSON.parse(await readFile(join(home, 'data', 'local-api.json'), 'utf8')));

let home: string;
let port: number;
let agent: Headless;

before(async () => {
  home = await tempDir('synor-cli-');
  port = await freePort();
  agent = await startHeadless(home, ['dist/main/headless.js', '--port', String(port)]);
});
after(() => agent?.stop());

test('status prints plain lines; --json is the agent state, as the contract says', T, async () => {
  const plain = await synor(home, 'status');
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /^Sharing: +off$/m);
  assert.doesNotMatch(plain.stdout, /[{}]/, 'no JSON in the human output');
  const json = await synor(home, '--json', 'status');
  assert.equal(json.code, 0, json.stderr);
  const state = commands.getState.result.parse(JSON.parse(json.stdout));
  assert.equal(state.sharing, false);
});

test('share on and off turn sharing on and off in the agent', T, async () => {
  const on = await synor(home, 'share', 'on');
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /^Sharing is on\.$/m);
  assert.equal(((await rpc(agent, 'getState')) as { value: { sharing: boolean } }).value.sharing, true);
  const off = await synor(home, 'share', 'off', '--json');
  assert.equal(off.code, 0, off.stderr);
  assert.equal(commands.setShare.result.parse(JSON.parse(off.stdout)).sharing, false);
  const state = (await rpc(agent, 'getState')) as { value: { sharing: boolean } };
  assert.equal(state.value.sharing, false);
});

test('settings set and get: a top-level value, one inside a group, and a refused value that saves nothing', T, async () => {
  const set = await synor(home, 'settings', 'set', 'cpuSharePercent=40', 'power.mode=efficiency');
  assert.equal(set.code, 0, set.stderr);
  const settings = (await rpc(agent, 'getSettings')) as {
    value: { cpuSharePercent: number; power: { mode: string; pauseOnBattery: boolean } };
  };
  assert.equal(settings.value.cpuSharePercent, 40);
  assert.equal(settings.value.power.mode, 'efficiency');
  assert.equal(settings.value.power.pauseOnBattery, true, 'the rest of the group is kept');
  const get = await synor(home, 'settings', 'get', 'cpuSharePercent');
  assert.deepEqual([get.code, get.stdout], [0, '40\n']);
  const all = await synor(home, '--json', 'settings', 'get');
  assert.equal(commands.getSettings.result.parse(JSON.parse(all.stdout)).power.mode, 'efficiency');

  const refused = await synor(home, 'settings', 'set', 'cpuSharePercent=150');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cpuSharePercent: At most 100 %/);
  assert.doesNotMatch(refused.stderr, /updateSettings/, 'no internal names');
  const refusedJson = await synor(home, '--json', 'settings', 'set', 'cpuSharePercent=150');
  assert.equal(refusedJson.code, 1);
  assert.equal((JSON.parse(refusedJson.stdout) as { error: { code: string } }).error.code, 'VALIDATION');
  assert.equal(((await rpc(agent, 'getSettings')) as { value: { cpuSharePercent: number } }).value.cpuSharePercent, 40);
});

test('pause sets "pause until" that far ahead; pause off lifts it', T, async () => {
  const from = Date.now();
  const paused = await synor(home, 'pause', '2h30m');
  const to = Date.now();
  assert.equal(paused.code, 0, paused.stderr);
  const until = ((await rpc(agent, 'getSettings')) as { value: { pausedUntil: number } }).value.pausedUntil;
  const span = (2 * 60 + 30) * 60_000;
  assert.ok(until >= from + span && until <= to + span, `${until} is 2h30m after the call`);
  const resumed = await synor(home, 'pause', 'off');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(((await rpc(agent, 'getSettings')) as { value: { pausedUntil: null } }).value.pausedUntil, null);
});

test('earnings and devices answer in words and, with --json, as the contract says', T, async () => {
  const earnings = await synor(home, 'earnings');
  assert.equal(earnings.code, 0, earnings.stderr);
  assert.match(earnings.stdout, /^Total: +0 SYNOR confirmed, 0 SYNOR pending \(0 receipts\)$/m);
  commands.getEarnings.result.parse(JSON.parse((await synor(home, '--json', 'earnings')).stdout));
  const devices = await synor(home, '--json', 'devices');
  assert.equal(devices.code, 0, devices.stderr);
  commands.getHardware.result.parse(JSON.parse(devices.stdout));
});

test('wrong usage exits 2 with a plain sentence', T, async () => {
  for (const args of [
    [],
    ['dance'],
    ['share', 'maybe'],
    ['pause', 'soon'],
    ['settings', 'get', 'nope'],
    ['settings', 'set', 'x'],
    ['settings', 'set', 'pausedUntil.x=1'],
    ['settings', 'set', 'gpus.unknown.enabled=false'],
    ['--bogus', 'status'],
    ['fleet', 'dance'],
    ['fleet', 'share', 'off'],
  ]) {
    const ran = await synor(home, ...args);
    assert.equal(ran.code, 2, `synor ${args.join(' ')}: ${ran.stderr}`);
    assert.ok(ran.stderr.length > 0 && ran.stdout === '', `synor ${args.join(' ')} explains on stderr`);
  }
});

test('the token and the port are kept across a restart: the same link opens the new run', T, async () => {
  const { url } = agent;
  assert.deepEqual(await kept(home), { token: agent.token, port });
  assert.equal(((await stat(join(home, 'data', 'local-api.json'))).mode & 0o777).toString(8), '600');
  await agent.stop();
  const stopped = await synor(home, 'status');
  assert.equal(stopped.code, 3, 'no agent: exit 3');
  assert.match(stopped.stderr, /not running/);
  agent = await startHeadless(home, ['dist/main/headless.js']); // no --port: the kept one
  assert.equal(agent.url, url);
  assert.equal((await synor(home, 'status')).code, 0);
});

test('token rotate: the new token works at once, the old one is refused, and the next start keeps the new one', T, async () => {
  const old = { origin: agent.origin, token: agent.token };
  const rotated = await synor(home, '--json', 'token', 'rotate');
  assert.equal(rotated.code, 0, rotated.stderr);
  const { url } = JSON.parse(rotated.stdout) as { url: string };
  const token = new URL(url).hash.replace('#token=', '');
  assert.notEqual(token, old.token);
  assert.deepEqual(await kept(home), { token, port });
  assert.equal(((await rpc(old, 'getState')) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  assert.equal(((await rpc({ origin: old.origin, token }, 'getState')) as { ok: boolean }).ok, true);
  assert.equal((await synor(home, 'status')).code, 0, 'the command reads the new token');
  await agent.stop();
  agent = await startHeadless(home, ['dist/main/headless.js']);
  assert.equal(agent.url, url);
});

test('a stopped agent: exit 3 with no folder at all; token rotate saves a new token for its next start', T, async () => {
  const empty = await tempDir('synor-cli-none-');
  const none = await synor(empty, 'status');
  assert.equal(none.code, 3);
  assert.match(none.stderr, /^Synor Contributor is not running in headless mode\./);
  const rotated = await synor(empty, 'token', 'rotate');
  assert.equal(rotated.code, 0, rotated.stderr);
  const { token } = await kept(empty);
  const started = await startHeadless(empty, ['dist/main/headless.js', '--port', '0']);
  try {
    assert.equal(started.token, token);
    assert.match(started.output(), /picked for this run only \(--port 0\): it is not kept/);
    assert.deepEqual(await kept(empty), { token }, 'a --port 0 run keeps no port');
  } finally {
    await started.stop();
  }
});

test('a damaged token file is set aside with a notice, and a new token is made', T, async () => {
  const damaged = await tempDir('synor-cli-bad-');
  await mkdir(join(damaged, 'data'), { recursive: true });
  await writeFile(join(damaged, 'data', 'local-api.json'), '{"token": "not hex", ');
  const started = await startHeadless(damaged, ['dist/main/headless.js', '--port', '0']);
  try {
    assert.match(started.output(), /The saved link in .* could not be read: it was moved aside as local-api\.json\.bad-/);
    const aside = (await readdir(join(damaged, 'data'))).filter((name) => name.startsWith('local-api.json.bad-'));
    assert.equal(aside.length, 1);
    assert.equal(await readFile(join(damaged, 'data', aside[0]!), 'utf8'), '{"token": "not hex", ', 'set aside, not deleted');
    assert.equal((await kept(damaged)).token, started.token);
  } finally {
    await started.stop();
  }
});

test('a kept port another program holds: the agent says so, takes a free one, and keeps that one', T, async () => {
  const dir = await tempDir('synor-cli-busy-');
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const taken = (busy.address() as { port: number }).port;
  try {
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'data', 'local-api.json'), JSON.stringify({ token: 'd'.repeat(64), port: taken }));
    const started = await startHeadless(dir, ['dist/main/headless.js']);
    try {
      assert.match(started.output(), new RegExp(`port ${taken} is in use; picking a free one, kept for the next starts`));
      assert.equal(started.token, 'd'.repeat(64));
      assert.deepEqual(await kept(dir), { token: 'd'.repeat(64), port: Number(new URL(started.origin).port) });
    } finally {
      await started.stop();
    }
  } finally {
    busy.close();
  }
});

test('the package bin (bin/synor.mjs) runs the built command', T, async () => {
  const { code, stdout } = await runSynor(['bin/synor.mjs'], home, ['--json', 'status']);
  assert.equal(code, 0);
  assert.equal(typeof commands.getState.result.parse(JSON.parse(stdout)).sharing, 'boolean');
});
