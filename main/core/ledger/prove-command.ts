/**
 * `npm run prove -- <task or receipt id> [--data DIR]`: prints a receipt's proof from this computer's ledger (the
 * receipt, its Merkle path and the signed epoch, as JSON) and checks it against the coordinator that signed it.
 * Works offline, for any receipt inside the detail window.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { appPaths } from '../paths.js';
import { Ledger } from './ledger.js';
import { proofProblem, proveReceipt } from './proof.js';

const args = process.argv.slice(2);
const at = args.indexOf('--data');
const dataDir = at >= 0 ? args[at + 1] : appPaths(process.platform, process.env, homedir()).dataDir;
const id = args.find((a, i) => !a.startsWith('--') && i !== at + 1);
if (!id || !dataDir) {
  process.stderr.write('Usage: npm run prove -- <task id or receipt id> [--data <data folder>]\n');
  process.exit(2);
}
const ledger = await Ledger.open(join(dataDir, 'ledger.jsonl'));
const proof = await proveReceipt(ledger.detail, id);
if (!proof) {
  process.stderr.write(
    `No receipt for "${id}" in the detail kept in ${ledger.detail.dir}. Detail is kept for the days set in Settings (a week unless changed); older work is in the signed epochs' sums only.\n`,
  );
  process.exit(1);
}
const { chainId, coordinator } = proof.source;
const problem = proofProblem(proof, { chainId, coordinator });
process.stdout.write(`${JSON.stringify(proof, null, 2)}\n`);
process.stdout.write(
  problem
    ? `NOT PROVEN: ${problem.message}\n`
    : `Proven: receipt ${proof.receipt.receiptId} is in epoch ${proof.signed.epoch.firstSeq}–${proof.signed.epoch.lastSeq}, signed by ${coordinator} (chain ${chainId}).\n`,
);
process.exit(problem ? 1 : 0);
