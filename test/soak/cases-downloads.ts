// Hostile downloads: models and inputs past their budgets, wrong hashes, slow bodies.
import { randomBytes } from 'node:crypto';
import { createRuntime } from '../../main/core/runtime/runtime.js';
import { fakePorts, tempDir } from '../helpers/fakes.js';
import { localCoordinator, matmulTask, sha256 } from '../unit/runtime-fixtures.js';
import { HostileServer } from './hostile.js';
import { clean, downloadsIn, MiB, refusedMessage, withCache, type SoakCase } from './case.js';

export const DOWNLOAD_CASES: SoakCase[] = [
  {
    name: 'model declared past the disk budget (2 GiB vs 64 MiB)',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('huge', { kind: 'plain', bytes: new Uint8Array(16) });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: 2 * 1024 ** 3 });
        const requests = hostile.count('/blobs/huge');
        const leftovers = await downloadsIn(dir);
        return {
          ...clean,
          leftovers,
          ok: !got.ok && requests === 0 && leftovers === 0,
          outcome: `refused before the first byte (${requests} requests): ${refusedMessage(got)}`,
        };
      }),
  },
  {
    name: 'Content-Length far past the declared size',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('announce', { kind: 'announce', declared: 2 * 1024 ** 3 });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: MiB });
        const leftovers = await downloadsIn(dir);
        const onHeader = !got.ok && /announces 2147483648 bytes/.test(got.error.message);
        return {
          ...clean,
          leftovers,
          ok: onHeader && leftovers === 0,
          outcome: `refused on the header, 0 bytes written: ${refusedMessage(got)}`,
        };
      }),
  },
  {
    name: 'body past the declared size (no length, endless)',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const url = hostile.blob('flood', { kind: 'flood', chunk: 64 * 1024 });
        const got = await cache.ensure({ url, sha256: 'a'.repeat(64), size: MiB });
        const leftovers = await downloadsIn(dir);
        const served = hostile.served.get('/blobs/flood') ?? 0;
        const stopped = !got.ok && /larger than the announced 1048576 bytes/.test(got.error.message);
        return {
          ...clean,
          leftovers,
          ok: stopped && leftovers === 0,
          outcome: `stopped at the first byte past 1 MiB (server pushed ${(served / MiB).toFixed(1)} MiB into the socket), partial deleted`,
        };
      }),
  },
  {
    name: 'model with the wrong hash, asked for by two tasks',
    fast: true,
    run: () =>
      withCache(async (cache, hostile, dir) => {
        const bytes = randomBytes(2 * MiB);
        const url = hostile.blob('wrong', { kind: 'plain', bytes });
        const ref = { url, sha256: 'b'.repeat(64), size: bytes.length };
        const first = await cache.ensure(ref);
        const second = await cache.ensure(ref);
        const requests = hostile.count('/blobs/wrong');
        const leftovers = await downloadsIn(dir);
        return {
          ...clean,
          leftovers,
          ok:
            !first.ok &&
            /hash to/.test(first.error.message) &&
            !second.ok &&
            /not tried again/.test(second.error.message) &&
            requests === 1 &&
            leftovers === 0,
          outcome: `downloaded once (${requests} request), deleted at the mismatch, the second task refused without downloading`,
        };
      }),
  },
  {
    name: 'model dripping 1 byte per 100 ms',
    fast: true,
    run: () =>
      withCache(
        async (cache, hostile) => {
          const url = hostile.blob('drip', { kind: 'drip', everyMs: 100 });
          const started = performance.now();
          const got = await cache.ensure({ url, sha256: 'c'.repeat(64), size: MiB });
          const s = (performance.now() - started) / 1000;
          const kept = hostile.served.get('/blobs/drip') ?? 0;
          const ended = !got.ok && /not done within/.test(got.error.message);
          // The few bytes that came are kept to resume from (inside the budget): not a leftover.
          return {
            ...clean,
            ok: ended && s < 10,
            outcome: `ended by the overall deadline after ${s.toFixed(1)} s (stall timer never fired; ${kept} bytes kept to resume)`,
          };
        },
        { deadline: { baseMs: 1_000, minBytesPerSec: MiB } },
      ),
  },
  {
    name: 'input by URL past the memory budget (1.5 GB vs 32 MiB)',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const ports = fakePorts();
        const runtime = createRuntime({
          cacheDir: await tempDir('synor-soak-rt-'),
          cacheCapBytes: 64 * MiB,
          memoryBudgetBytes: () => 32 * MiB,
          clock: ports.clock,
          logger: ports.logger,
          coordinatorUrl: localCoordinator,
        });
        const model = {
          url: hostile.blob('model', { kind: 'plain', bytes: new Uint8Array(8) }),
          sha256: sha256(new Uint8Array(8)),
          size: 8,
        };
        const size = 100 * 3_750_000 * 4;
        const input = {
          kind: 'url' as const,
          dtype: 'float32' as const,
          shape: [100, 3_750_000],
          url: hostile.blob('input', { kind: 'plain', bytes: new Uint8Array(4) }),
          sha256: 'd'.repeat(64),
          size,
        };
        const got = await runtime.prepare(
          { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } },
          new AbortController().signal,
        );
        const requests = hostile.count('/blobs/input') + hostile.count('/blobs/model');
        return {
          ...clean,
          ok: !got.ok && got.error.code === 'runtime-error' && requests === 0,
          outcome: `released before the first byte (${requests} requests): ${got.ok ? 'prepared' : got.error.message}`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
  {
    name: 'input by URL whose size does not fit its shape',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const ports = fakePorts();
        const runtime = createRuntime({
          cacheDir: await tempDir('synor-soak-rt-'),
          memoryBudgetBytes: () => 32 * MiB,
          clock: ports.clock,
          logger: ports.logger,
          coordinatorUrl: localCoordinator,
        });
        const model = {
          url: hostile.blob('model', { kind: 'plain', bytes: new Uint8Array(8) }),
          sha256: sha256(new Uint8Array(8)),
          size: 8,
        };
        const input = {
          kind: 'url' as const,
          dtype: 'float32' as const,
          shape: [4],
          url: hostile.blob('input', { kind: 'plain', bytes: new Uint8Array(64) }),
          sha256: 'e'.repeat(64),
          size: 64,
        };
        const got = await runtime.prepare(
          { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } },
          new AbortController().signal,
        );
        const requests = hostile.count('/blobs/input');
        return {
          ...clean,
          ok: !got.ok && requests === 0,
          outcome: `refused before downloading (${requests} requests): ${got.ok ? 'prepared' : got.error.message}`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
  {
    name: 'three 12 MiB inputs by URL within a 32 MiB budget',
    fast: true,
    run: async () => {
      const hostile = await new HostileServer().start();
      try {
        const ports = fakePorts();
        const runtime = createRuntime({
          cacheDir: await tempDir('synor-soak-rt-'),
          memoryBudgetBytes: () => 32 * MiB,
          clock: ports.clock,
          logger: ports.logger,
          coordinatorUrl: localCoordinator,
        });
        const modelBytes = new Uint8Array(8);
        const model = { url: hostile.blob('model', { kind: 'plain', bytes: modelBytes }), sha256: sha256(modelBytes), size: 8 };
        const tasks = [1, 2, 3].map((i) => {
          const bytes = new Uint8Array(12 * MiB).fill(i);
          const input = {
            kind: 'url' as const,
            dtype: 'float32' as const,
            shape: [3, MiB],
            url: hostile.blob(`in${i}`, { kind: 'plain', bytes }),
            sha256: sha256(bytes),
            size: bytes.length,
          };
          return { ...matmulTask(model, new Float32Array(1), [1]), inputs: { X: input } };
        });
        const [p1, p2, p3] = tasks.map((t) => runtime.prepare(t, new AbortController().signal)) as [
          ReturnType<typeof runtime.prepare>,
          ReturnType<typeof runtime.prepare>,
          ReturnType<typeof runtime.prepare>,
        ];
        const [a, b] = await Promise.all([p1, p2]);
        const thirdWaited = hostile.count('/blobs/in3') === 0;
        if (a.ok) a.value.release();
        const c = await p3;
        if (b.ok) b.value.release();
        if (c.ok) c.value.release();
        return {
          ...clean,
          ok: a.ok && b.ok && c.ok && thirdWaited,
          outcome: `two held at once (24 MiB), the third ${thirdWaited ? 'waited, unfetched,' : 'did NOT wait'} until one was released, then ran`,
        };
      } finally {
        await hostile.close();
      }
    },
  },
];
