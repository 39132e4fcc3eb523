// The first check of a long ledger recovers its epochs' signers in bulk (issue 32 item 5): the fast digest must be
// ethers' to the byte, and the batched check must refuse exactly the lines, with exactly the words, that the check
// of one line at a time (ethers' verifyTypedData) refuses.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { hexlify, Signature, TypedDataEncoder, Wallet } from 'ethers';
import { eip712Domain, EPOCH_TYPES, type Epoch } from '../../main/common/protocol.js';
import { encodeRecord } from '../../main/core/fs/checksummed-log.js';
import { epochDigester } from '../../main/core/ledger/epoch-digest.js';
import { Ledger } from '../../main/core/ledger/ledger.js';
import type { LedgerRecord } from '../../main/core/ledger/record.js';
import { recordProblem } from '../../main/core/ledger/trust.js';
import { epochOf } from '../../main/core/receipts/epochs.js';
import { tempDir } from '../helpers/fakes.js';
import { testReceipt } from '../helpers/ledger.js';

const coordinator = Wallet.createRandom();
const stranger = Wallet.createRandom();
const owner = Wallet.createRandom().address;
const source = { url: 'http://127.0.0.1:1/', devnet: true, coordinator: coordinator.address, chainId: 31337 };
const T0 = Date.UTC(2026, 10, 24, 22, 30);
const N = 2n ** 256n - 0x14551231950b75fc4402da1732fc9bebfn;

test('the fast epoch digest is the one ethers computes, and refuses what ethers refuses', { timeout: 120_000 }, async () => {
  const epochDigest = await epochDigester();
  const uint = (max: bigint) => fc.bigInt({ min: 0n, max }).map(String);
  const sum = fc.record({
    resourceType: fc.constantFrom('gpu', 'cpu', 'bandwidth', 'availability'),
    receipts: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    rejected: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    units: uint(2n ** 256n - 1n),
    totalWei: uint(2n ** 256n - 1n),
  });
  const epoch = fc.record({
    deviceId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
    owner: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b)),
    firstSeq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    lastSeq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    root: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
    openedAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    closedAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    sums: fc.array(sum, { minLength: 1, maxLength: 4 }),
    totalWei: uint(2n ** 256n - 1n),
    issuedAt: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  });
  fc.assert(
    fc.property(epoch, fc.integer({ min: 1, max: 2 ** 40 }), (e, chainId) => {
      assert.equal(hexlify(epochDigest(e as Epoch, chainId)), TypedDataEncoder.hash(eip712Domain(chainId), EPOCH_TYPES, e));
    }),
    { numRuns: 300 },
  );
  const good = epochOf([testReceipt(owner, { issuedAt: T0 })], T0 + 1);
  const refused: Epoch[] = [
    { ...good, owner: owner.toLowerCase().replace(/^0x./, '0xG') },
    // A mixed-case address whose checksum is wrong.
    { ...good, owner: `0x${owner.slice(2, 41)}${owner.at(-1) === 'a' ? 'A' : owner.at(-1) === 'A' ? 'a' : 'b'}` },
    { ...good, sums: [{ ...good.sums[0]!, receipts: 2 ** 32 }] },
    { ...good, totalWei: String(2n ** 256n) },
    // A root that is not hex, or one byte short; one in capitals, which ethers reads.
    { ...good, root: `0x${'zz'.repeat(32)}` },
    { ...good, root: good.root.slice(0, -2) },
    { ...good, root: `0x${good.root.slice(2).toUpperCase()}` },
  ];
  for (const e of refused) {
    const ethers = (() => {
      try {
        TypedDataEncoder.hash(eip712Domain(1), EPOCH_TYPES, e);
        return 'hashed';
      } catch {
        return 'refused';
      }
    })();
    if (ethers === 'refused') assert.throws(() => epochDigest(e, 1), `${JSON.stringify(e).slice(0, 120)}`);
    else assert.equal(hexlify(epochDigest(e, 1)), TypedDataEncoder.hash(eip712Domain(1), EPOCH_TYPES, e));
  }
});

/** Lines of every kind a check tells apart: `good` good ones, and among them one good and seven bad of other kinds. */
async function mixedLines(good: number): Promise<LedgerRecord[]> {
  const records: LedgerRecord[] = [];
  const line = async (
    i: number,
    by: Pick<Wallet, 'signTypedData'>,
    over: Partial<Epoch> = {},
    sig?: (s: string) => string,
  ): Promise<LedgerRecord> => {
    const epoch = { ...epochOf([testReceipt(owner, { issuedAt: T0 + i * 60_000 })], T0 + i * 60_000 + 1), ...over };
    const signature = await by.signTypedData(eip712Domain(31337), EPOCH_TYPES, epoch);
    return { kind: 'epoch', at: epoch.closedAt, source, signed: { epoch, signature: sig ? sig(signature) : signature } };
  };
  for (let i = 0; i < good; i++) records.push(await line(i, coordinator));
  const flipV = (s: string): string => Signature.from(s).serialized.slice(0, -2) + (Signature.from(s).v === 27 ? '1c' : '1b');
  // The same signature with s' = n − s (and v flipped): valid for secp256k1, refused by ethers as non-canonical.
  const highS = (s: string): string => {
    const sig = Signature.from(s);
    const s2 = (N - BigInt(sig.s)).toString(16).padStart(64, '0');
    return `${sig.r}${s2}${sig.v === 27 ? '1c' : '1b'}`;
  };
  const bad = [
    await line(good, stranger),
    await line(good + 1, coordinator, {}, flipV),
    await line(good + 2, coordinator, {}, highS),
    await line(good + 3, coordinator, { deviceId: 'dev-b' }),
    { ...(await line(good + 4, coordinator)), source: { ...source, coordinator: stranger.address } },
    // v written as 0 or 1: ethers reads it as 27 or 28, so this line is good (the fast path leaves it to ethers).
    await line(good + 5, coordinator, {}, (s) => `${s.slice(0, -2)}${s.endsWith('1b') ? '00' : '01'}`),
    await line(good + 6, coordinator, {}, () => `0x${'00'.repeat(64)}1b`),
  ];
  const signedAsGood = await line(good + 7, coordinator);
  // Amounts changed after signing: the signature recovers someone else.
  bad.push({ ...signedAsGood, signed: { ...signedAsGood.signed, epoch: { ...signedAsGood.signed.epoch, totalWei: '1' } } });
  for (const [k, b] of bad.entries()) records.splice(Math.floor(((k + 1) * records.length) / (bad.length + 1)), 0, b);
  return records;
}

test('lines checked many at once get the answers, word for word, of lines checked one at a time', { timeout: 120_000 }, async () => {
  const check = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
  const records = await mixedLines(72);
  const one = records.map((r) => check(r));
  const many = await check.many!(records);
  assert.deepEqual(many, one);
  assert.equal(one.filter((r) => r === null).length, 73, 'the good lines pass');
  assert.equal(one.filter((r) => r !== null).length, 7, 'every bad kind is refused');
});

test('a first check of a long ledger sets aside the bad lines and counts the good ones, as before', { timeout: 120_000 }, async () => {
  const file = join(await tempDir(), 'ledger.jsonl');
  const records = await mixedLines(600);
  await writeFile(file, records.map((r) => encodeRecord(r)).join(''));
  const ledger = await Ledger.open(file);
  const trust = recordProblem({ deviceIds: ['dev-a'], coordinators: [{ coordinator: coordinator.address, chainId: 31337 }] });
  const setAside = await ledger.verify(trust, 1);
  assert.equal(setAside?.count, 7);
  assert.equal(ledger.sums.total().receipts, 601, 'every good line counted once');
  const again = await Ledger.open(file);
  assert.equal(
    await again.verify(
      Object.assign((r: LedgerRecord) => trust(r)),
      2,
    ),
    null,
    'what is left passes the check of one line at a time',
  );
});
