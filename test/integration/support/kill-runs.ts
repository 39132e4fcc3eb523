// Drives kill -9 runs: a real devnet here, a contributing device in a child process killed at random steps,
// restarted on the same data folder; at the end, a clean run drains everything and the outcome is checked.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { startCoordinator } from '../../../main/devnet/coordinator.js';
import { verifyLedgerFile, type VerifyReport } from '../../../main/core/ledger/verify-file.js';
import { tempDir } from '../../helpers/fakes.js';
import { receiptsIn } from '../../helpers/ledger.js';

const CHILD = fileURLToPath(new URL('./contributor-child.ts', import.meta.url));
const STEPS = ['leased', 'ran', 'queued', 'submitted', 'epoch'] as const;

export interface KillReport {
  runs: number;
  /** Where each kill was aimed: "<step>#<n>". */
  killedAt: string[];
  /** Tasks whose result was on disk (the child said `queued`) before a kill or the end. */
  finished: Set<string>;
  /** taskId → times the coordinator accepted it. */
  accepted: Map<string, number>;
  duplicates: number;
  tornTails: number;
  drainedQueue: number;
  ledger: VerifyReport;
  /** Tasks with a compute receipt in the ledger. */
  receipted: Set<string>;
  ms: number;
}

/** Seeded so a failing run can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** `loops`: lease-run-complete loops the device runs at once (more than one: results kept in groups). */
export async function killRuns(runs: number, seed = Date.now(), loops = 1): Promise<KillReport & { seed: number }> {
  const started = performance.now();
  const random = rng(seed);
  // Every receipts fetch seals the open epoch, so the clean run's last fetch brings every receipt.
  const devnet = await startCoordinator({ taskIntervalMs: 5, maxOpenTasks: 3, leaseTtlMs: 60_000, epochMs: 0 });
  const dataDir = await tempDir('synor-kill-');
  const env = {
    ...process.env,
    SYNOR_TEST_DATA: dataDir,
    SYNOR_TEST_COORDINATOR: devnet.url,
    SYNOR_TEST_OWNER_KEY: Wallet.createRandom().privateKey,
    SYNOR_TEST_LOOPS: String(loops),
  };
  const finished = new Set<string>();
  const killedAt: string[] = [];
  let tornTails = 0;
  let drainedQueue = -1;

  const runChild = (kill: { step: (typeof STEPS)[number]; nth: number; delayMs: number } | null): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let seen = 0;
      const earlier = [...finished];
      createInterface({ input: child.stdout }).on('line', (line) => {
        const [step, id, n] = line.split(' ');
        if (step === 'queued' && id) finished.add(id);
        if (step === 'torn') tornTails++;
        if (step === 'drained') drainedQueue = Number(id);
        // A few ms of jitter after the step so kills also land mid-write (fsync, rename, ledger append).
        if (kill && step === kill.step && ++seen === kill.nth) setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        // The clean run stops once everything finished before it is accepted; it drains its own results on the way out.
        if (!kill && step === 'submitted' && n && earlier.every((t) => devnet.stats.accepted.has(t))) child.kill('SIGTERM');
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (kill ? signal === 'SIGKILL' : code === 0) resolve();
        else reject(new Error(`child ended with ${code ?? signal}`));
      });
    });

  try {
    for (let i = 0; i < runs; i++) {
      const kill = {
        step: STEPS[Math.floor(random() * STEPS.length)]!,
        nth: 1 + Math.floor(random() * 3),
        delayMs: Math.floor(random() * 4),
      };
      killedAt.push(`${kill.step}#${kill.nth}+${kill.delayMs}ms`);
      await runChild(kill);
    }
    await runChild(null);
    const file = join(dataDir, 'ledger.jsonl');
    // Every epoch line's signature, and every receipt in the detail files against the root and sums of its epoch.
    const ledger = await verifyLedgerFile(file, { chainId: 31337, coordinator: devnet.address });
    const receipted = new Set((await receiptsIn(file)).flatMap((r) => (r.resourceType === 'cpu' ? [r.taskId] : [])));
    return {
      seed,
      runs,
      killedAt,
      finished,
      accepted: new Map(devnet.stats.accepted),
      duplicates: devnet.stats.duplicates,
      tornTails,
      drainedQueue,
      ledger,
      receipted,
      ms: performance.now() - started,
    };
  } finally {
    await devnet.close();
  }
}
