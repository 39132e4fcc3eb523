// The devnet's state files damaged on disk (a bad sector, an editor, a copy cut short): the devnet never loses its
// signing key to them. The device table is set aside and its version before the last change read instead; with no
// readable version the devnet refuses to start, in plain words, rather than sign with a new key that the payout
// contract does not know. A damaged record of withdrawn permissions fails closed: every delegation given before
// it no longer counts, and owners give new ones.
import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { Wallet, type HDNodeWallet } from 'ethers';
import { DelegatedRegisterRequestSchema } from '../../main/common/delegation.js';
import { signDelegation } from '../../main/core/wallet/delegation.js';
import { DeviceRegistry } from '../../main/devnet/registry.js';
import { tempDir } from '../helpers/fakes.js';
import { signedRegistration } from '../helpers/devnet-raw.js';

const CHAIN_ID = 31337;
const T = { timeout: 60_000 };

function recordingLogger() {
  const lines: string[] = [];
  return { lines, info: () => undefined, warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
}

async function open(file: string, at = Date.now()) {
  const logger = recordingLogger();
  const clock = { at, now: () => clock.at };
  const registry = await DeviceRegistry.open({ stateFile: file, clock, chainId: CHAIN_ID, presenceGapMs: 35_000, logger });
  return { registry, clock, logger };
}

/** Registers a device of `owner` through a delegation to `member` issued now. */
async function registerMember(registry: DeviceRegistry, owner: HDNodeWallet, member: HDNodeWallet, now: number) {
  const delegation = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: 0 });
  const request = { ...(await signedRegistration(registry.wallet, owner, member, { issuedAt: now })), delegation };
  return registry.register(DelegatedRegisterRequestSchema.parse(request));
}

const setAside = async (file: string): Promise<string[]> =>
  (await readdir(dirname(file))).filter((name) => name.startsWith('coordinator.json.bad-') || name.startsWith('delegations.json.bad-'));

test('a damaged device table is set aside and the version before its last change is read: same key, same devices', T, async () => {
  const file = join(await tempDir(), 'coordinator.json');
  const first = await open(file);
  const owner = Wallet.createRandom();
  const { device } = await registerMember(first.registry, owner, Wallet.createRandom(), first.clock.now());
  // Saves as routes make them, many at once (each keeps the version it replaces): one change more, so the previous
  // version holds the device too.
  await Promise.all(Array.from({ length: 20 }, () => first.registry.save()));

  await writeFile(file, '{"key": "0x12'); // cut short
  const again = await open(file);
  assert.equal(again.registry.wallet.address, first.registry.wallet.address, 'the signing key survives');
  assert.equal(again.registry.devices.get(device.info.deviceId)?.info.owner, owner.address);
  assert.equal((await setAside(file)).filter((n) => n.startsWith('coordinator')).length, 1, 'the damaged file is kept');
  assert.match(
    again.logger.lines.join('\n'),
    /state file was damaged; it was kept as coordinator\.json\.bad-.+ the version before its last change is used/,
  );
});

test('with no readable version the devnet does not start with a new key: it says what to do', T, async () => {
  const file = join(await tempDir(), 'coordinator.json');
  await open(file);
  await writeFile(file, 'not json at all');
  await rm(`${file}.prev`, { force: true });
  await assert.rejects(open(file), (error: Error) => {
    assert.match(
      error.message,
      /^The local devnet's state file was damaged and has no readable earlier version; it was kept as coordinator\.json\.bad-/,
    );
    assert.match(error.message, /Put a backup of it back, or remove the devnet folder/);
    return true;
  });
  assert.equal((await setAside(file)).length, 1);
});

test('a damaged record of withdrawn permissions fails closed: earlier delegations no longer count, new ones do', T, async () => {
  const file = join(await tempDir(), 'coordinator.json');
  const first = await open(file);
  const owner = Wallet.createRandom();
  const member = Wallet.createRandom();
  const { device } = await registerMember(first.registry, owner, member, first.clock.now() - 1000);
  assert.equal(first.registry.delegationEnded(device), null);
  await writeFile(join(dirname(file), 'delegations.json'), '{"revoked": {"0xab|0xcd": "soon"}}');

  const again = await open(file, first.clock.now() + 1000);
  const kept = again.registry.devices.get(device.info.deviceId)!;
  assert.match(again.registry.delegationEnded(kept) ?? '', /lost its record of withdrawn permissions.+Ask the owner for a new one\.$/);
  assert.match(again.logger.lines.join('\n'), /record of withdrawn permissions was damaged; it was kept as delegations\.json\.bad-/);
  // A permission given after the damage works, and the rule holds across a restart.
  again.clock.at += 1000;
  const renewed = await registerMember(again.registry, owner, member, again.clock.now());
  assert.equal(again.registry.delegationEnded(renewed.device), null);
  const third = await open(file, again.clock.now());
  assert.equal(third.registry.delegationEnded(renewed.device), null);
  assert.match(third.registry.delegationEnded(kept) ?? '', /lost its record of withdrawn permissions/);
});
