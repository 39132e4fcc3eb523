import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leafHashOf, merkleProof, merkleRoot, verifyMerkleProof } from '../../main/core/receipts/merkle.js';

// RFC 6962 reference vectors as published by transparency-dev/merkle (testonly/constants.go): the leaves, the root of
// every tree of the first n of them, and the inclusion proofs of leaves 0 and 5 in the tree of 8.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) =>
  leafHashOf(Buffer.from(h, 'hex')),
);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const PROOFS = [
  {
    index: 0,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

test("roots and inclusion proofs are RFC 6962's, on the reference vectors", { timeout: 120_000 }, () => {
  for (let n = 1; n <= 8; n++) assert.equal(merkleRoot(LEAVES.slice(0, n)), `0x${ROOTS[n - 1]}`, `size ${n}`);
  for (const { index, path } of PROOFS)
    assert.deepEqual(
      merkleProof(LEAVES, index),
      path.map((h) => `0x${h}`),
    );
});

test(
  'every leaf of every tree up to 40 leaves proves, and a wrong leaf, place or path does not (the size comes from the signed epoch)',
  { timeout: 120_000 },
  () => {
    const many = Array.from({ length: 40 }, (_, i) => leafHashOf(Buffer.from([i, i * 7])));
    for (let n = 1; n <= many.length; n++) {
      const tree = many.slice(0, n);
      const root = merkleRoot(tree);
      for (let i = 0; i < n; i++) {
        const path = merkleProof(tree, i);
        assert.ok(verifyMerkleProof(tree[i]!, i, n, path, root), `size ${n}, leaf ${i}`);
        assert.equal(verifyMerkleProof(leafHashOf(Buffer.from('not in the tree')), i, n, path, root), false, 'another leaf');
        if (n > 1) assert.equal(verifyMerkleProof(tree[i]!, (i + 1) % n, n, path, root), false, `another place: size ${n}, leaf ${i}`);
        for (let k = 0; k < path.length; k++) {
          const bent = path.map((h, j) => (j === k ? `0x${(BigInt(h) ^ 1n).toString(16).padStart(64, '0')}` : h));
          assert.equal(verifyMerkleProof(tree[i]!, i, n, bent, root), false, 'a path with one bit changed');
        }
      }
    }
  },
);
