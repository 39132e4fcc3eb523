import { createHash } from 'node:crypto';
import { receiptLeafText, type Receipt } from '../../common/protocol.js';

/**
 * The Merkle tree of an epoch's receipts, exactly as RFC 6962 (Certificate Transparency) defines it with sha256: a
 * leaf is H(0x00 ‖ data), a node H(0x01 ‖ left ‖ right), and a tree of n leaves splits at the largest power of two
 * below n. The prefixes keep a leaf from passing for a node. Hashes are 32-byte Buffers; roots travel as 0x-hex.
 */

const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export const leafHashOf = (data: Buffer): Buffer => sha256(LEAF, data);
export const leafHash = (r: Receipt): Buffer => leafHashOf(Buffer.from(receiptLeafText(r), 'utf8'));
const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(NODE, left, right);
const split = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

function treeHash(leaves: readonly Buffer[], from: number, to: number): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- callers keep from < to <= leaves.length
  if (to - from === 1) return leaves[from]!;
  const k = from + split(to - from);
  return nodeHash(treeHash(leaves, from, k), treeHash(leaves, k, to));
}

/** The root over leaf hashes in order (at least one), as 0x-hex. */
export function merkleRoot(leaves: readonly Buffer[]): string {
  if (leaves.length === 0) throw new Error('merkleRoot: no leaves');
  return `0x${treeHash(leaves, 0, leaves.length).toString('hex')}`;
}

/** The audit path of leaf `index`: the sibling hashes from the leaf up to the root (RFC 6962, 2.1.1). */
export function merkleProof(leaves: readonly Buffer[], index: number): string[] {
  const path: Buffer[] = [];
  const walk = (from: number, to: number, m: number): void => {
    if (to - from <= 1) return;
    const k = from + split(to - from);
    if (m < k) {
      walk(from, k, m);
      path.push(treeHash(leaves, k, to));
    } else {
      walk(k, to, m);
      path.push(treeHash(leaves, from, k));
    }
  };
  walk(0, leaves.length, index);
  return path.map((h) => `0x${h.toString('hex')}`);
}

/** Whether `leaf` is leaf `index` of a tree of `size` leaves with this root (RFC 9162, 2.1.3.2). */
export function verifyMerkleProof(leaf: Buffer, index: number, size: number, path: readonly string[], root: string): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const hex of path) {
    if (sn === 0) return false;
    const p = Buffer.from(hex.slice(2), 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && `0x${r.toString('hex')}` === root;
}
