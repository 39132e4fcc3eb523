// Delegation (docs/protocol.md, "Delegation"): the EIP-712 types as the doc writes them, and the devnet registry's
// decisions on real signatures: a member's device key registers under the owner's delegation and its device is the
// owner's; a forged, foreign, mismatched, expired or revoked delegation is refused in plain words; a revocation is
// signed by the owner, kept across a restart, ends the work of devices already registered, and a newer delegation
// works again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { TypedDataEncoder, Wallet } from 'ethers';
import { DELEGATION_TYPES, DelegatedRegisterRequestSchema, REVOCATION_TYPES } from '../../main/common/delegation.js';
import { signDelegation, signRevocation } from '../../main/core/wallet/delegation.js';
import { HttpError } from '../../main/devnet/http-util.js';
import { DeviceRegistry } from '../../main/devnet/registry.js';
import { tempDir } from '../helpers/fakes.js';
import { signedRegistration } from '../helpers/devnet-raw.js';

const CHAIN_ID = 31337;

test('the delegation and revocation types are the ones the protocol page writes down', { timeout: 60_000 }, () => {
  assert.equal(
    TypedDataEncoder.from(DELEGATION_TYPES).encodeType('Delegation'),
    'Delegation(address owner,address delegate,string deviceId,uint64 issuedAt,uint64 expiresAt,bytes32 nonce)',
  );
  assert.equal(
    TypedDataEncoder.from(REVOCATION_TYPES).encodeType('Revocation'),
    'Revocation(address owner,address delegate,uint64 issuedAt)',
  );
});

/** A registry with its state in a fresh folder, on a clock the test moves. */
async function openRegistry(stateFile?: string) {
  const file = stateFile ?? join(await tempDir(), 'coordinator.json');
  const clock = { at: Date.now(), now: () => clock.at };
  const registry = await DeviceRegistry.open({ stateFile: file, clock, chainId: CHAIN_ID, presenceGapMs: 35_000 });
  return { registry, clock, file };
}

/** What the registry answers: the device's owner, or the refusal's code and words. */
async function outcome(registry: DeviceRegistry, request: unknown): Promise<string> {
  try {
    const { device } = await registry.register(DelegatedRegisterRequestSchema.parse(request));
    return `owner ${device.info.owner}`;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return `${error.status} ${error.code}: ${error.message}`;
  }
}

test(
  'a member key registers under the owner’s delegation; forged, foreign and mismatched ones are refused',
  { timeout: 60_000 },
  async () => {
    const { registry, clock } = await openRegistry();
    const owner = Wallet.createRandom();
    const member = Wallet.createRandom();
    const stranger = Wallet.createRandom();
    const now = clock.now();
    const delegation = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: 0 });
    const asMember = async (d = delegation, over: { deviceId?: string } = {}) => ({
      ...(await signedRegistration(registry.wallet, owner, member, { ...over, issuedAt: clock.now() })),
      delegation: d,
    });

    const request = await asMember();
    assert.equal(await outcome(registry, request), `owner ${owner.address}`);
    const device = registry.devices.get(request.registration.deviceId)!;
    assert.equal(device.info.owner, owner.address, 'the device is the owner’s: its receipts name the owner');
    assert.equal(registry.delegationEnded(device), null);

    // Signed by a stranger who claims to be the owner.
    const forged = await signDelegation(stranger, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: 0 });
    forged.delegation.owner = owner.address;
    assert.match(await outcome(registry, await asMember(forged)), /^403 bad-signature: The delegation is not signed by the owner/);
    // A real delegation of the owner, but for another key than the one that signed the registration.
    const foreign = await signDelegation(owner, CHAIN_ID, { delegate: stranger.address, deviceId: '', issuedAt: now, expiresAt: 0 });
    assert.match(await outcome(registry, await asMember(foreign)), /^403 bad-signature: The registration is not signed by the device key/);
    // A delegation of another owner, attached to a registration naming this owner.
    const otherOwners = await signDelegation(stranger, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: 0 });
    assert.match(await outcome(registry, await asMember(otherOwners)), /^403 bad-signature: The delegation is for another owner/);
    // For one device only.
    const one = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: 'dev-one', issuedAt: now, expiresAt: 0 });
    assert.match(
      await outcome(registry, await asMember(one, { deviceId: 'dev-two' })),
      /^403 bad-signature: The delegation is for another device/,
    );
    assert.equal(await outcome(registry, await asMember(one, { deviceId: 'dev-one' })), `owner ${owner.address}`);
    // Signed on another chain: its signature recovers to another key.
    const otherChain = await signDelegation(owner, 1, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: 0 });
    assert.match(await outcome(registry, await asMember(otherChain)), /^403 bad-signature/);
    // Without a delegation, the member's key is not the owner.
    const bare = await signedRegistration(registry.wallet, owner, member, { issuedAt: clock.now() });
    assert.match(await outcome(registry, bare), /^403 bad-signature: The registration is not signed by the owner/);
    // An expired delegation: refused at registration, and the work of a device registered under it ends.
    const short = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: now, expiresAt: now + 60_000 });
    const early = await asMember(short);
    assert.equal(await outcome(registry, early), `owner ${owner.address}`);
    clock.at += 61_000;
    assert.match(
      registry.delegationEnded(registry.devices.get(early.registration.deviceId)!) ?? '',
      /has expired\. Ask the owner for a new one/,
    );
    assert.match(await outcome(registry, await asMember(short)), /^403 delegation-ended: the permission .* has expired/);
  },
);

test(
  'a revocation signed by the owner ends the delegation for good, across a restart; a newer one works',
  { timeout: 60_000 },
  async () => {
    const { registry, clock, file } = await openRegistry();
    const owner = Wallet.createRandom();
    const member = Wallet.createRandom();
    const issued = clock.now();
    const delegation = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: issued, expiresAt: 0 });
    const asMember = async (d = delegation) => ({
      ...(await signedRegistration(registry.wallet, owner, member, { deviceId: 'dev-member', issuedAt: clock.now() })),
      delegation: d,
    });
    assert.equal(await outcome(registry, await asMember()), `owner ${owner.address}`);

    // Only the owner can revoke.
    const byStranger = await signRevocation(Wallet.createRandom(), CHAIN_ID, member.address, issued);
    byStranger.revocation.owner = owner.address;
    await assert.rejects(registry.delegations.revoke(byStranger), (e: HttpError) => e.code === 'bad-signature');
    assert.equal(registry.delegationEnded(registry.devices.get('dev-member')!), null);

    clock.at += 1_000;
    assert.equal(await registry.delegations.revoke(await signRevocation(owner, CHAIN_ID, member.address, clock.now())), 'revoked');
    assert.equal(await registry.delegations.revoke(await signRevocation(owner, CHAIN_ID, member.address, issued)), 'already');
    const ended = registry.delegationEnded(registry.devices.get('dev-member')!);
    assert.match(ended ?? '', /withdrawn its permission\. Ask them for a new one, or set up a wallet of your own/);
    clock.at += 1_000;
    assert.match(await outcome(registry, await asMember()), /^403 delegation-ended: the owner .* has withdrawn its permission/);

    // A restarted coordinator still knows the revocation, and the device's delegation.
    const again = await openRegistry(file);
    again.clock.at = clock.at;
    assert.equal(again.registry.delegationEnded(again.registry.devices.get('dev-member')!), ended);
    assert.match(await outcome(again.registry, await asMember()), /^403 delegation-ended/);
    // The owner trusts the machine again: a delegation signed after the revocation works.
    const renewed = await signDelegation(owner, CHAIN_ID, { delegate: member.address, deviceId: '', issuedAt: clock.now(), expiresAt: 0 });
    assert.equal(await outcome(again.registry, await asMember(renewed)), `owner ${owner.address}`);
    assert.equal(again.registry.delegationEnded(again.registry.devices.get('dev-member')!), null);
    // The owner registering the device with its own key drops the delegation: nothing left that could end.
    const own = await signedRegistration(again.registry.wallet, owner, owner, { deviceId: 'dev-member', issuedAt: clock.now() + 1 });
    assert.equal(await outcome(again.registry, own), `owner ${owner.address}`);
    assert.equal(again.registry.devices.get('dev-member')!.delegation, undefined);
  },
);
