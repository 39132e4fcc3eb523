import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KeystoreAccount } from 'ethers';
import type { KeyWorkProgress } from '../../common/wallet.js';

/**
 * scrypt (≈0.8 s at the default cost) runs in a worker thread: ethers' "async" scrypt only yields to microtasks,
 * so on the main thread it would freeze the agent (and the UI it serves) for the whole time. The worker is plain
 * CommonJS evaluated from a string, loading ethers by absolute path, so it runs the same from source, from the
 * ESM headless bundle and from the CommonJS Electron bundle.
 *
 * ethers' scrypt (noble) keeps RFC 7914's bound N < 2^(16·r), which geth does not: keystores with r 1 and a large N
 * (the Web3 Secret Storage definition's own scrypt test vector) are derived with scrypt-js instead, the library
 * ethers 5 used, so every V3 file geth opens opens here too.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ethers = require(workerData.ethers);
const scryptJs = require(workerData.scryptJs);
const noble = ethers.scrypt._;
// scrypt-js stops when its progress callback returns something truthy (postMessage returns true): hence the braces.
ethers.scrypt.register((password, salt, N, r, p, dkLen, progress) =>
  N >= 2 ** (16 * r)
    ? scryptJs.scrypt(password, salt, N, r, p, dkLen, progress && ((fraction) => { progress(fraction); }))
    : noble(password, salt, N, r, p, dkLen, progress));
const progress = (fraction) => parentPort.postMessage({ progress: fraction });
const work = workerData.op === 'encrypt'
  ? ethers.encryptKeystoreJson(workerData.account, workerData.password, { scrypt: workerData.scrypt, progressCallback: progress })
  : ethers.decryptKeystoreJson(workerData.json, workerData.password, progress).then((a) => ({ address: a.address, privateKey: a.privateKey }));
work.then((result) => parentPort.postMessage({ result }), (error) => parentPort.postMessage({ error: String(error && error.message) }));
`;

function modulePath(name: string): string {
  // CommonJS bundles (the Electron main) have __filename; ESM (headless bundle, tsx) has import.meta.url.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  return createRequire(here).resolve(name);
}

type Job =
  | { op: 'encrypt'; account: KeystoreAccount; password: string; scrypt: { N: number } | undefined }
  | { op: 'decrypt'; json: string; password: string };

function run<T>(job: Job, onProgress: ((fraction: number) => void) | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { ...job, ethers: modulePath('ethers'), scryptJs: modulePath('scrypt-js') },
    });
    let settled = false;
    worker.on('message', (message: { progress?: number; result?: T; error?: string }) => {
      if (message.progress !== undefined) return onProgress?.(message.progress);
      settled = true;
      if (message.error !== undefined) reject(new Error(message.error));
      // eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- the worker answers the job it was given with that job's result
      else resolve(message.result as T);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => settled || reject(new Error(`the keystore worker exited (${code})`)));
  });
}

export const encryptKeystore = (
  account: KeystoreAccount,
  password: string,
  options: { scryptN?: number | undefined; onProgress?: ((fraction: number) => void) | undefined },
): Promise<string> =>
  run({ op: 'encrypt', account, password, scrypt: options.scryptN ? { N: options.scryptN } : undefined }, options.onProgress);

export const decryptKeystore = (json: string, password: string, onProgress?: (fraction: number) => void): Promise<KeystoreAccount> =>
  run({ op: 'decrypt', json, password }, onProgress);

/** scrypt reports thousands of steps; the UI needs a bar, so only whole percents (and the end) go out. */
export function percentSteps(
  op: KeyWorkProgress['op'],
  onProgress: ((progress: KeyWorkProgress) => void) | undefined,
): ((fraction: number) => void) | undefined {
  if (!onProgress) return undefined;
  let last = -1;
  return (fraction) => {
    const percent = Math.floor(fraction * 100);
    if (percent === last) return;
    last = percent;
    onProgress({ op, fraction });
  };
}
