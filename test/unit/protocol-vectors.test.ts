// The byte-level vectors in docs/protocol-vectors.json stay true: rebuilt from the code that signs and checks for real
// (merkle.ts, epochs.ts, the EIP-712 types of common/), they must equal the file to the byte, and each one must pass the
// checks a device makes. The doc's example receipt is one of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Wallet, verifyTypedData } from 'ethers';
import { EpochSchema, ReceiptSchema, RegistrationSchema, type Receipt, type TypedDataTypes } from '../../main/common/protocol.js';
import { VoucherSchema } from '../../main/common/wallet.js';
import { DelegatedRegisterRequestSchema, DELEGATION_TYPES, DelegationSchema, RevocationSchema } from '../../main/common/delegation.js';
import { leafHash, verifyMerkleProof } from '../../main/core/receipts/merkle.js';
import { bundleProblem, splitProblem } from '../../main/core/receipts/receipts.js';
import { protocolVectors, VECTORS_FILE } from '../../scripts/protocol-vectors.js';

interface SignedVector {
  domain: Record<string, unknown>;
  types: TypedDataTypes;
  message: Record<string, unknown>;
  digest: string;
  signer: string;
  signature: string;
}
interface Vectors {
  keys: Record<'coordinator' | 'owner' | 'member', { privateKey: string; address: string }>;
  receipts: Receipt[];
  leaves: { seq: number; text: string; bytes: string; leafHash: string }[];
  trees: { size: number; root: string; proofs: { index: number; path: string[] }[] }[];
  epochs: SignedVector[];
  vouchers: SignedVector[];
  registrations: SignedVector[];
  delegations: SignedVector[];
  revocations: SignedVector[];
  delegatedRegistrations: (SignedVector & { delegation: unknown })[];
}

const file = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as Vectors;

test('the vector file is exactly what the code makes today', { timeout: 60_000 }, async () => {
  const made = JSON.parse(JSON.stringify(await protocolVectors())) as Vectors;
  const kinds = ['keys', 'receipts', 'leaves', 'trees', 'epochs', 'vouchers', 'registrations', 'delegations', 'revocations'] as const;
  for (const kind of [...kinds, 'delegatedRegistrations'] as const) {
    assert.deepEqual(file[kind], made[kind], `${kind}: run node --import tsx scripts/protocol-vectors.ts if the change is meant`);
  }
  assert.deepEqual(file, made);
});

test('every vector passes the checks a device makes', { timeout: 60_000 }, () => {
  for (const [role, key] of Object.entries(file.keys)) assert.equal(new Wallet(key.privateKey).address, key.address, role);
  for (const r of file.receipts) {
    ReceiptSchema.parse(r);
    assert.equal(splitProblem(r), null, `receipt ${r.seq}`);
  }
  for (const [i, leaf] of file.leaves.entries()) {
    const bytes = Buffer.from(leaf.bytes.slice(2), 'hex');
    assert.equal(bytes[0], 0, 'a leaf is hashed with the 0x00 prefix');
    assert.equal(bytes.subarray(1).toString('utf8'), leaf.text);
    assert.equal(`0x${leafHash(file.receipts[i]!).toString('hex')}`, leaf.leafHash);
  }
  for (const tree of file.trees) {
    const leaves = file.receipts.slice(0, tree.size).map(leafHash);
    for (const { index, path } of tree.proofs) assert.ok(verifyMerkleProof(leaves[index]!, index, tree.size, path, tree.root));
    // A proof for another place, or under a root of another size, fails.
    if (tree.size > 1) assert.equal(verifyMerkleProof(leaves[0]!, 1, tree.size, tree.proofs[0]!.path, tree.root), false);
  }
  const signedBy = (v: SignedVector, key: keyof Vectors['keys']): void => {
    assert.equal(v.signer, file.keys[key].address);
    assert.equal(verifyTypedData(v.domain, v.types, v.message, v.signature), v.signer);
  };
  for (const v of file.epochs) {
    signedBy(v, 'coordinator');
    const epoch = EpochSchema.parse(v.message);
    const receipts = file.receipts.filter((r) => r.seq >= epoch.firstSeq && r.seq <= epoch.lastSeq);
    const expect = { chainId: 31337, coordinator: file.keys.coordinator.address };
    assert.equal(bundleProblem({ epoch, signature: v.signature, receipts }, expect), null);
  }
  for (const v of file.vouchers) {
    signedBy(v, 'coordinator');
    VoucherSchema.parse({ ...v.message, signature: v.signature });
  }
  for (const v of file.registrations) {
    signedBy(v, 'owner');
    RegistrationSchema.parse(v.message);
  }
  for (const v of file.delegations) {
    signedBy(v, 'owner');
    DelegationSchema.parse(v.message);
  }
  for (const v of file.revocations) {
    signedBy(v, 'owner');
    RevocationSchema.parse(v.message);
  }
  // Signed by the member's key, sent with the owner's delegation for it: what a coordinator accepts.
  for (const v of file.delegatedRegistrations) {
    signedBy(v, 'member');
    const request = DelegatedRegisterRequestSchema.parse({ registration: v.message, signature: v.signature, delegation: v.delegation });
    const { delegation, signature } = request.delegation!;
    assert.equal(verifyTypedData(v.domain, DELEGATION_TYPES, delegation, signature), file.keys.owner.address);
    assert.equal(delegation.delegate, file.keys.member.address);
  }
});

test("the doc's example receipt is a vector, with amounts for its own uptime and reputation", { timeout: 60_000 }, () => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const example = /A receipt, on the wire[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'the example receipt is in docs/protocol.md');
  const receipt = ReceiptSchema.parse(JSON.parse(example));
  assert.equal(splitProblem(receipt), null);
  assert.deepEqual(receipt, file.receipts[0]);
});
