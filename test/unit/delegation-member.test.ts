// A member machine of a fleet, on the real devnet coordinator in this process: its device key is made once and kept
// (in the OS store when one works, else in a file only its user reads); it keeps an owner's delegation only when it
// is for its own key and in force; registering under it makes its receipts the owner's; and the owner's device reads
// the member's signed epochs and checks each as its own (member-epochs.ts), refusing what another key signed.
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wallet } from 'ethers';
import { createMember } from '../../main/core/network/member.js';
import { memberEpochs } from '../../main/core/network/member-epochs.js';
import { signDelegation } from '../../main/core/wallet/delegation.js';
import { startCoordinator } from '../../main/devnet/coordinator.js';
import { tempDir } from '../helpers/fakes.js';
import { recordsOf } from '../helpers/ledger.js';
import { MemorySecretStore } from '../helpers/wallet.js';
import { leaseOne, quickResult, testDevice } from '../integration/support/network.js';

const CHAIN_ID = 31337;
const clock = { now: () => Date.now() };

test('the device key is made once and kept: in a file only its user reads, or in a working OS store', { timeout: 60_000 }, async () => {
  const plain = await tempDir();
  const first = await createMember({ dir: plain, secrets: null, clock }).address();
  assert.equal(await createMember({ dir: plain, secrets: null, clock }).address(), first, 'the same key after a restart');
  assert.equal((await stat(join(plain, 'device-key.json'))).mode & 0o777, 0o600);

  const store = new MemorySecretStore();
  const kept = await tempDir();
  const address = await createMember({ dir: kept, secrets: store, clock }).address();
  assert.equal(store.secrets.size, 1, 'the key went into the store');
  assert.doesNotMatch(await readFile(join(kept, 'device-key.json'), 'utf8'), /privateKey/, 'and not into the file');
  assert.equal(await createMember({ dir: kept, secrets: store, clock }).address(), address);
  // A store that cannot give the key now (a locked keyring): said in plain words, and nothing is made anew.
  store.secrets.clear();
  await assert.rejects(createMember({ dir: kept, secrets: store, clock }).address(), /device key is kept by the system's key store/);
});

test('a member earns to the owner under its delegation; the owner checks the member’s signed epochs', { timeout: 60_000 }, async () => {
  const net = await startCoordinator({ taskIntervalMs: null, verifyRate: 0, epochMs: 0 });
  try {
    const owner = new Wallet(Wallet.createRandom().privateKey);
    const member = createMember({ dir: await tempDir(), secrets: null, clock });
    assert.equal(await member.signer(), null, 'no delegation yet: nothing to register with');
    const key = await member.address();
    const delegate = (to: string, expiresAt = 0) =>
      signDelegation(owner, CHAIN_ID, { delegate: to, deviceId: '', issuedAt: Date.now(), expiresAt });
    await assert.rejects(member.use(await delegate(Wallet.createRandom().address)), /This permission is for another computer's key/);
    await assert.rejects(member.use(await delegate(key, Date.now() - 1)), /This permission has expired/);
    assert.deepEqual(await member.use(await delegate(key)), { owner: owner.address, delegate: key, deviceId: '', expiresAt: 0 });

    // The member registers with its own key and earns: its receipts name the owner.
    const signer = (await member.signer())!;
    assert.equal(signer.owner, owner.address);
    const { client: memberClient, ledger } = await testDevice(net.url, { signer });
    for (let i = 0; i < 2; i++) {
      net.addTasks(1);
      const { leaseId, task } = await leaseOne(memberClient);
      await memberClient.complete(leaseId, quickResult(task));
      await memberClient.flush();
      await memberClient.syncReceipts();
    }
    const held = (await recordsOf(ledger)).map((r) => r.signed.epoch);
    assert.ok(held.length >= 2 && held.every((e) => e.owner === owner.address), 'the member’s epochs are the owner’s');

    // The owner's own device reads them and checks each, as it checks its own.
    const { client: ownerClient } = await testDevice(net.url, { signer: owner });
    await ownerClient.connect();
    const expect = { chainId: CHAIN_ID, coordinator: net.address, owner: owner.address };
    const read = await memberEpochs(ownerClient, expect, memberClient.deviceId, 0);
    assert.deepEqual(
      read,
      held.map(({ deviceId, firstSeq, lastSeq, totalWei }) => ({ deviceId, firstSeq, lastSeq, totalWei })),
    );
    assert.deepEqual(await memberEpochs(ownerClient, expect, memberClient.deviceId, held[0]!.lastSeq), read.slice(1), 'from a cursor on');
    await assert.rejects(
      memberEpochs(ownerClient, { ...expect, coordinator: Wallet.createRandom().address }, memberClient.deviceId, 0),
      /the earnings of device .* do not check out/,
    );
    // Another owner's device cannot read them.
    const { client: stranger } = await testDevice(net.url);
    await stranger.connect();
    await assert.rejects(memberEpochs(stranger, expect, memberClient.deviceId, 0), /No device of this owner has that id/);
    await Promise.all([memberClient.close(), ownerClient.close(), stranger.close()]);
  } finally {
    await net.close();
  }
});

test(
  'damaged files say what to do: a damaged key is set aside and replaced, a damaged delegation asks for a new one',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const owner = Wallet.createRandom();
    const member = createMember({ dir, secrets: null, clock });
    const old = await member.address();
    await member.use(await signDelegation(owner, CHAIN_ID, { delegate: old, deviceId: '', issuedAt: Date.now(), expiresAt: 0 }));
    assert.equal((await member.signer())?.owner, owner.address);

    await writeFile(join(dir, 'delegation.json'), '{"delegation": {');
    await assert.rejects(member.signer(), {
      code: 'NOT_APPLICABLE',
      message: 'the saved permission to earn to the owner’s wallet is damaged. Ask the owner for a new one.',
    });

    await member.use(await signDelegation(owner, CHAIN_ID, { delegate: old, deviceId: '', issuedAt: Date.now(), expiresAt: 0 }));
    await writeFile(join(dir, 'device-key.json'), 'not json');
    const restarted = createMember({ dir, secrets: null, clock });
    const replaced = await restarted.address();
    assert.notEqual(replaced, old, 'a new key');
    assert.ok(
      (await readdir(dir)).some((name) => name.startsWith('device-key.json.bad-')),
      'the damaged file is kept aside',
    );
    await assert.rejects(restarted.signer(), /this computer has a new device key .* Ask the owner for a new one/);
  },
);
