// What a reliability case is, and the helpers the case files share.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelCache, type Fetched, type ModelCacheOptions } from '../../main/core/runtime/model-cache.js';
import { startCoordinator, type Coordinator } from '../../main/devnet/coordinator.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { HostileServer } from './hostile.js';

export type Size = 'fast' | 'full';
export interface CaseOutcome {
  outcome: string;
  ok: boolean;
  /** Finished results neither accepted nor given back with a reason. */
  lost: number;
  /** Tasks the coordinator accepted more than once. */
  doubleCredits: number;
  /** Files a refused download or a write left behind. */
  leftovers: number;
  /** Job hosts still running 1 s after their agent closed them or was killed. */
  orphans: number;
  /** Why the case could not run here (then it proves nothing and says so). */
  skipped?: string;
}
export interface SoakCase {
  name: string;
  fast: boolean;
  run(size: Size): Promise<CaseOutcome>;
}

export const MiB = 1024 ** 2;
export const clean = { lost: 0, doubleCredits: 0, leftovers: 0, orphans: 0 };

/** Files downloads left in a cache folder (blobs, partial downloads); its memory of refused sources is not one. */
export async function downloadsIn(dir: string): Promise<number> {
  const files = await Promise.all(
    ['blobs', 'partial'].map(
      async (sub) =>
        (await readdir(join(dir, sub), { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).length,
    ),
  );
  return files.reduce((a, b) => a + b, 0);
}

export async function withCache<T>(
  run: (cache: ModelCache, hostile: HostileServer, dir: string) => Promise<T>,
  extra: Partial<ModelCacheOptions> = {},
): Promise<T> {
  const dir = await tempDir('synor-soak-cache-');
  const ports = fakePorts();
  const hostile = await new HostileServer().start();
  try {
    return await run(new ModelCache({ dir, capBytes: 64 * MiB, clock: ports.clock, logger: ports.logger, ...extra }), hostile, dir);
  } finally {
    await hostile.close();
  }
}

export const refusedMessage = (got: Fetched): string => (got.ok ? 'accepted' : got.error.message);

export const doubles = (net: Coordinator): number => [...net.stats.accepted.values()].filter((n) => n > 1).length;

export async function withDevnet<T>(options: Parameters<typeof startCoordinator>[0], run: (net: Coordinator) => Promise<T>): Promise<T> {
  const net = await startCoordinator({ verifyRate: 0, maxLeaseWaitMs: 500, ...options });
  try {
    return await run(net);
  } finally {
    await net.close();
  }
}
