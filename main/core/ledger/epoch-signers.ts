import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { computeAddress, hexlify } from 'ethers';
import type { SignedEpoch } from '../../common/protocol.js';
import { epochDigester } from './epoch-digest.js';

/**
 * Who signed many epochs at once, for a first check of a long ledger (a week is 10,080 epochs; ethers' recovery, pure
 * JavaScript, takes ~3 ms each). The public keys are recovered by libsecp256k1 (tiny-secp256k1, WebAssembly, ~7×
 * faster) in worker threads, so the agent's own thread stays free and the module's memory (~9 MB a worker) is given
 * back once the check is over. The worker is plain CommonJS evaluated from a string, loading the module by absolute path,
 * so it runs the same from source and from either bundle (as wallet/keystore-worker.ts does).
 */

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const secp = require(workerData.secp);
parentPort.on('message', ({ digests, signatures, count }) => {
  const keys = new Uint8Array(count * 65);
  for (let i = 0; i < count; i++) {
    const sig = signatures.subarray(i * 65, i * 65 + 65);
    try {
      const key = secp.recover(digests.subarray(i * 32, i * 32 + 32), sig.subarray(0, 64), sig[64] - 27, false);
      if (key) keys.set(key, i * 65);
    } catch {}
  }
  parentPort.postMessage(keys, [keys.buffer]);
});
`;

function modulePath(name: string): string {
  // CommonJS bundles (the Electron main) have __filename; ESM (headless bundle, tsx) has import.meta.url.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return createRequire(here).resolve(name);
}

/** How long an idle worker is kept for the next batch before its memory is given back. */
const IDLE_MS = 2_000;
/**
 * Workers a batch is shared among: every core, up to 4. The check is a one-off (a first start, an edited index);
 * recovery is most of its time, and the agent's own thread meanwhile reads and hashes the next batch.
 */
const POOL = Math.max(1, Math.min(4, availableParallelism()));
interface Recoverer {
  thread: Worker;
  idle: NodeJS.Timeout | null;
  /** Who waits for each batch sent, in order. */
  queue: ((keys: Uint8Array | Error) => void)[];
}
const pool: (Recoverer | null)[] = [];

function recoverer(slot: number): Recoverer {
  const running = pool[slot];
  if (running) return running;
  const thread = new Worker(WORKER_CODE, { eval: true, workerData: { secp: modulePath('tiny-secp256k1') } });
  const w: Recoverer = { thread, idle: null, queue: [] };
  const forget = (): void => {
    if (pool[slot] === w) pool[slot] = null;
  };
  const fail = (error: Error): void => {
    forget();
    for (const answer of w.queue.splice(0)) answer(error);
  };
  thread.on('message', (keys: Uint8Array) => {
    w.queue.shift()?.(keys);
    if (w.queue.length > 0) return;
    // Idle: it no longer keeps the process alive, and goes after a while (forgotten first, so a batch asked from
    // then on starts a new worker instead of reaching this one).
    thread.unref();
    w.idle = setTimeout(() => {
      forget();
      void thread.terminate();
    }, IDLE_MS).unref();
  });
  thread.on('error', fail);
  thread.on('exit', () => fail(new Error('the signature worker stopped')));
  return (pool[slot] = w);
}

function ask(w: Recoverer, digests: Uint8Array<ArrayBuffer>, signatures: Uint8Array<ArrayBuffer>, count: number): Promise<Uint8Array> {
  if (w.idle) clearTimeout(w.idle);
  w.idle = null;
  w.thread.ref();
  return new Promise((resolve, reject) => {
    w.queue.push((keys) => (keys instanceof Error ? reject(keys) : resolve(keys)));
    w.thread.postMessage({ digests, signatures, count }, [digests.buffer, signatures.buffer]);
  });
}

/** The public keys (65 bytes each, zeros where none) of `count` signatures over their digests, shared among the pool. */
async function recover(digests: Uint8Array, signatures: Uint8Array, count: number): Promise<Uint8Array> {
  const share = Math.ceil(count / POOL);
  const slices = Array.from({ length: Math.ceil(count / share) }, (_, i) => [i * share, Math.min(count, (i + 1) * share)] as const);
  const parts = await Promise.all(
    slices.map(([from, to], i) => ask(recoverer(i), digests.slice(from * 32, to * 32), signatures.slice(from * 65, to * 65), to - from)),
  );
  const keys = new Uint8Array(count * 65);
  slices.forEach(([from], i) => {
    const part = parts[i];
    if (part) keys.set(part, from * 65);
  });
  return keys;
}

const addresses = new Map<string, string>();
/** The address of an uncompressed public key (a ledger's few coordinators: computed once each). */
function addressOf(key: Uint8Array): string {
  const hex = hexlify(key);
  let address = addresses.get(hex);
  if (address === undefined) addresses.set(hex, (address = computeAddress(hex)));
  return address;
}

/**
 * The address that signed each epoch (on its chain), as ethers' `verifyTypedData` would recover it, or null where
 * this fast path cannot tell (a signature ethers would refuse or word differently: the caller asks ethers then).
 */
export async function epochSigners(items: readonly { signed: SignedEpoch; chainId: number }[]): Promise<(string | null)[]> {
  const epochDigest = await epochDigester();
  const digests = new Uint8Array(items.length * 32);
  const signatures = new Uint8Array(items.length * 65);
  const asked = items.map(({ signed, chainId }, i) => {
    const sig = Buffer.from(signed.signature.slice(2), 'hex');
    // ethers reads v as 27/28 and refuses an s with its top bit set; anything else is left to it.
    if (sig.length !== 65 || (sig[64] !== 27 && sig[64] !== 28) || (sig[32] ?? 0) & 0x80) return false;
    try {
      digests.set(epochDigest(signed.epoch, chainId), i * 32);
    } catch {
      return false;
    }
    signatures.set(sig, i * 65);
    return true;
  });
  if (!asked.some(Boolean)) return items.map(() => null);
  const keys = await recover(digests, signatures, items.length);
  return asked.map((ok, i) => {
    const key = keys.subarray(i * 65, i * 65 + 65);
    return ok && key[0] === 4 ? addressOf(key) : null;
  });
}
