/**
 * The protocol's byte-level vectors (docs/protocol-vectors.json), made by the real code: receipt leaves, Merkle roots
 * and inclusion proofs, and the EIP-712 digests and signatures of epochs, vouchers and registrations, with fixed test
 * keys. ECDSA signatures in ethers are deterministic (RFC 6979), so the file is the same on every run.
 * `node --import tsx scripts/protocol-vectors.ts` writes it; test/unit/protocol-vectors.test.ts rebuilds it and fails
 * when the code and the file differ, and test/fixtures/verify-protocol-vectors.py checks it from the doc alone.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { id, TypedDataEncoder, Wallet } from 'ethers';
import {
  eip712Domain,
  EPOCH_TYPES,
  receiptLeafText,
  REGISTRATION_TYPES,
  type Epoch,
  type Receipt,
  type Registration,
  type ResourceType,
  type TypedDataTypes,
} from '../main/common/protocol.js';
import { payoutDomain, VOUCHER_TYPES, type Voucher } from '../main/common/wallet.js';
import { DELEGATION_TYPES, REVOCATION_TYPES, type Delegation, type Revocation } from '../main/common/delegation.js';
import { NO_REWARD, rewardWei } from '../main/core/economics/rewards.js';
import { epochOf } from '../main/core/receipts/epochs.js';
import { leafHash, merkleProof, merkleRoot } from '../main/core/receipts/merkle.js';

export const VECTORS_FILE = fileURLToPath(new URL('../docs/protocol-vectors.json', import.meta.url));

const CHAIN_ID = 31337;
// Test keys only: public in this file and in the doc, never to hold anything.
const coordinator = new Wallet(id('synor protocol vectors: coordinator key'));
const owner = new Wallet(id('synor protocol vectors: owner key'));
// A member machine's device key, registering under the owner's delegation.
const member = new Wallet(id('synor protocol vectors: member device key'));
const MEMBER_DEVICE_ID = 'dev-81b0e6c5a9f2';
const PAYOUT_ADDRESS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const DEVICE_ID = 'dev-3f9c2a71d4e8';
const T0 = 1_764_680_000_000;

type Work = [
  taskId: string,
  resourceType: ResourceType,
  status: Receipt['status'],
  units: bigint,
  durationMs: number,
  uptimeBp: number,
  reputation: number,
];

/** One device's first receipts: every resource, an unverified and a rejected result, a negative reputation bonus. */
const WORK: Work[] = [
  ['devnet-0b7e5c3a-1f2d-4c6b-9a8e-7d5f3c1b2a09', 'cpu', 'verified', 2_147_483_648n, 41, 125, 51],
  ['devnet-5c1d9e7f-3a2b-4d8c-8e6f-1b0a9c7d5e43', 'cpu', 'unverified', 134_746_112n, 38, 125, 51],
  ['', 'availability', 'verified', 600_928n, 600_928, 1_250, 51],
  ['devnet-9e8f7a6b-5c4d-4e3f-a2b1-c0d9e8f7a6b5', 'gpu', 'verified', 549_856_477_184n, 212, 1_250, 51],
  ['devnet-2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', 'cpu', 'rejected', 269_492_224n, 77, 1_250, 41],
  ['', 'bandwidth', 'verified', 1_113_710n, 0, 1_250, 41],
  ['devnet-7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910', 'cpu', 'verified', 539_000_000n, 95, 10_000, 100],
];

const receiptIdOf = (seq: number): string => `7d1c${String(seq).padStart(4, '0')}-5e2a-4b3c-9d8e-0f1a2b3c4d5e`;

function receipts(): Receipt[] {
  return WORK.map(([taskId, resourceType, status, units, durationMs, uptimeBp, reputation], i): Receipt => {
    const seq = i + 1;
    return {
      receiptId: receiptIdOf(seq),
      seq,
      taskId,
      deviceId: DEVICE_ID,
      // Checksummed here; the leaf text carries it in lower case.
      owner: owner.address,
      resourceType,
      status,
      units: units.toString(),
      durationMs,
      uptimeBp,
      reputation,
      ...(status === 'rejected' ? NO_REWARD : rewardWei(resourceType, units, reputation, uptimeBp)),
      issuedAt: T0 + seq * 1_000,
    };
  });
}

interface Typed {
  domain: Record<string, unknown>;
  types: TypedDataTypes;
  message: Record<string, unknown>;
}

/** What a verifier recomputes from the typed data: the domain separator, the message's struct hash and the digest. */
const hashes = ({ domain, types, message }: Typed) => ({
  domainSeparator: TypedDataEncoder.hashDomain(domain),
  structHash: TypedDataEncoder.from(types).hash(message),
  digest: TypedDataEncoder.hash(domain, types, message),
});

async function signed(signer: Wallet, typed: Typed) {
  return {
    ...typed,
    ...hashes(typed),
    signer: signer.address,
    signature: await signer.signTypedData(typed.domain, typed.types, typed.message),
  };
}

function leaves(all: Receipt[]) {
  return all.map((r) => {
    const text = receiptLeafText(r);
    return { seq: r.seq, text, bytes: `0x00${Buffer.from(text, 'utf8').toString('hex')}`, leafHash: `0x${leafHash(r).toString('hex')}` };
  });
}

/** The tree over the first n receipts, for every n, with every leaf's audit path. */
function trees(all: Receipt[]) {
  const hashesOf = all.map(leafHash);
  return hashesOf.map((_, i) => {
    const first = hashesOf.slice(0, i + 1);
    return { size: first.length, root: merkleRoot(first), proofs: first.map((__, index) => ({ index, path: merkleProof(first, index) })) };
  });
}

async function epochs(all: Receipt[]) {
  const domain = { ...eip712Domain(CHAIN_ID) };
  const cuts: [number, number, number][] = [
    [0, 3, T0 + 60_000],
    [3, 7, T0 + 120_000],
    [0, 7, T0 + 120_000],
  ];
  return Promise.all(
    cuts.map(([from, to, issuedAt]) => {
      const epoch: Epoch = epochOf(all.slice(from, to), issuedAt);
      return signed(coordinator, { domain, types: EPOCH_TYPES, message: epoch });
    }),
  );
}

/** A voucher for the first epoch, and one for the second with a range of another device of the owner's beside it. */
async function vouchers(first: Epoch, second: Epoch) {
  const domain = payoutDomain(CHAIN_ID, PAYOUT_ADDRESS);
  const other = { deviceId: MEMBER_DEVICE_ID, firstSeq: 1, lastSeq: 12, amount: '1000000000000000000' };
  const bodies: Omit<Voucher, 'signature'>[] = [
    {
      owner: owner.address,
      amount: first.totalWei,
      ranges: [{ deviceId: DEVICE_ID, firstSeq: first.firstSeq, lastSeq: first.lastSeq, amount: first.totalWei }],
      // Unix seconds: an hour after the epoch was signed.
      expiry: first.issuedAt / 1000 + 3600,
    },
    {
      owner: owner.address,
      amount: String(BigInt(second.totalWei) + BigInt(other.amount)),
      ranges: [{ deviceId: DEVICE_ID, firstSeq: second.firstSeq, lastSeq: second.lastSeq, amount: second.totalWei }, other],
      expiry: second.issuedAt / 1000 + 3600,
    },
  ];
  return Promise.all(bodies.map((message) => signed(coordinator, { domain, types: VOUCHER_TYPES, message })));
}

async function registrations() {
  const domain = { ...eip712Domain(CHAIN_ID) };
  const info = {
    deviceId: DEVICE_ID,
    owner: owner.address,
    deviceType: { kind: 'cpu', vendor: 'GenuineIntel', cores: 4, threads: 8, avx: 'avx2' },
    compute: {
      fp32Gflops: 150,
      fp16Gflops: 0,
      int8Tops: 0,
      memoryBandwidthGbps: 25.6,
      memoryGb: 16,
      frameworks: ['onnxruntime'],
      modelFormats: ['onnx'],
    },
    network: { downloadMbps: 0, uploadMbps: 0, edgeLatencyMs: 0, natType: 'unknown' },
    availability: { always: true, hours: null, idleOnly: false, chargingOnly: false, minBattery: null },
  };
  const bodies: Registration[] = [
    { deviceId: DEVICE_ID, owner: owner.address, coordinator: coordinator.address, info: JSON.stringify(info), issuedAt: T0 },
    {
      deviceId: DEVICE_ID,
      owner: owner.address,
      coordinator: coordinator.address,
      info: JSON.stringify({ ...info, network: { downloadMbps: 94.2, uploadMbps: 11.5, edgeLatencyMs: 23, natType: 'unknown' } }),
      issuedAt: T0 + 3_600_000,
    },
  ];
  return Promise.all(bodies.map((message) => signed(owner, { domain, types: REGISTRATION_TYPES, message })));
}

/**
 * Two delegations of the owner to the member's key (any device, until revoked; one device, for 30 days), a
 * revocation of them, and a registration the member's key signs under the first (sent with it as `delegation`).
 */
async function delegations() {
  const domain = { ...eip712Domain(CHAIN_ID) };
  const bodies: Delegation[] = [
    { owner: owner.address, delegate: member.address, deviceId: '', issuedAt: T0, expiresAt: 0, nonce: `0x${'11'.repeat(32)}` },
    {
      owner: owner.address,
      delegate: member.address,
      deviceId: MEMBER_DEVICE_ID,
      issuedAt: T0,
      expiresAt: T0 + 30 * 86_400_000,
      nonce: `0x${'22'.repeat(32)}`,
    },
  ];
  const signedDelegations = await Promise.all(bodies.map((message) => signed(owner, { domain, types: DELEGATION_TYPES, message })));
  const revocation: Revocation = { owner: owner.address, delegate: member.address, issuedAt: T0 + 86_400_000 };
  const info = JSON.parse((await registrations())[0]!.message['info'] as string) as Record<string, unknown>;
  const registration: Registration = {
    deviceId: MEMBER_DEVICE_ID,
    owner: owner.address,
    coordinator: coordinator.address,
    info: JSON.stringify({ ...info, deviceId: MEMBER_DEVICE_ID }),
    issuedAt: T0 + 1_000,
  };
  return {
    delegations: signedDelegations,
    revocations: [await signed(owner, { domain, types: REVOCATION_TYPES, message: revocation })],
    delegatedRegistrations: [
      {
        ...(await signed(member, { domain, types: REGISTRATION_TYPES, message: registration })),
        delegation: { delegation: bodies[0], signature: signedDelegations[0]!.signature },
      },
    ],
  };
}

/** Every vector, as the file holds them. */
export async function protocolVectors() {
  const all = receipts();
  const signedEpochs = await epochs(all);
  return {
    about:
      'Byte-level vectors for synor-provider/2 (docs/protocol.md), made from the reference code by scripts/protocol-vectors.ts: ' +
      'receipt leaves (bytes hashed: 0x00 then the UTF-8 leaf text), RFC 6962 Merkle roots of the first n receipts with every ' +
      'audit path, and EIP-712 domain separators, struct hashes, digests and signatures of epochs, vouchers, registrations, ' +
      "delegations and revocations (a member machine's device key registering under the owner's delegation). " +
      'The keys are test keys, published here on purpose: never send anything to their addresses.',
    keys: {
      coordinator: { privateKey: coordinator.privateKey, address: coordinator.address },
      owner: { privateKey: owner.privateKey, address: owner.address },
      member: { privateKey: member.privateKey, address: member.address },
    },
    chainId: CHAIN_ID,
    payoutAddress: PAYOUT_ADDRESS,
    receipts: all,
    leaves: leaves(all),
    trees: trees(all),
    epochs: signedEpochs,
    vouchers: await vouchers(signedEpochs[0]!.message as Epoch, signedEpochs[1]!.message as Epoch),
    registrations: await registrations(),
    ...(await delegations()),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VECTORS_FILE, `${JSON.stringify(await protocolVectors(), null, 1)}\n`);
  process.stdout.write(`wrote ${VECTORS_FILE}\n`);
}
